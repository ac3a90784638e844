#!/usr/bin/env bash
# The Debian package on this machine, from build to purge:
#   deb_test.sh SOURCE_DIR BUILD_DIR FILL_BUFFER
# builds the .deb with scripts/package.sh from BUILD_DIR (reusing its binary), inspects it with
# dpkg-deb (files, Depends, conffiles), installs it with dpkg -i, runs `sensorgate check` on the
# shipped config as user sensorgate, reinstalls it over a buffer with undelivered rows (the
# upgrade path keeps the buffer and the edited conffile), removes it (config and state stay),
# purges it (the guarded buffer stays, named with its row count; nothing else), and purges once
# more with an empty buffer (nothing at all stays).
#
# It installs into the real /usr, so it runs only as root where dpkg exists, and only when
# sensorgate is not already installed or configured here; otherwise it exits 77 (skipped) with
# the reason. A machine-wide lock keeps two runs (from any build tree) apart, and the package is
# purged and the test's user removed on every exit, pass or fail.
set -uo pipefail

source_dir=$1
build_dir=$2
fill_buffer=$3
state=/var/lib/sensorgate

skip() {
  echo "SKIPPED: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "installs a package into /usr: needs root"
command -v dpkg >/dev/null && command -v dpkg-deb >/dev/null || skip "no dpkg on this machine"

mkdir -p /run/lock
exec 9>/run/lock/sensorgate-deb-test.lock
flock -w 600 9 || skip "another package test held the lock for 10 minutes"

if dpkg-query -W -f='${Status}' sensorgate 2>/dev/null | grep -qv "not-installed"; then
  skip "sensorgate is installed on this machine; the test would replace it"
fi
[ ! -e /etc/sensorgate ] || skip "/etc/sensorgate exists; the test would delete it"
[ ! -e "$state" ] || skip "$state exists; the test would delete it"
user_existed=no
getent passwd sensorgate >/dev/null && user_existed=yes

work=$(mktemp -d)
cleanup() {
  dpkg --purge sensorgate >/dev/null 2>&1
  rm -rf /etc/sensorgate "$state"
  if [ "$user_existed" = no ] && getent passwd sensorgate >/dev/null; then
    userdel sensorgate >/dev/null 2>&1
    getent group sensorgate >/dev/null && groupdel sensorgate >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
check() {  # check DESCRIPTION COMMAND...: runs the command, counts a failure
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    failures=$((failures + 1))
  fi
}
fail_now() {
  echo "FAILED: $*"
  exit 1
}
pending() {  # pending readings in the buffer of the installed config
  /usr/bin/sensorgate backlog --config /etc/sensorgate/sensorgate.yaml --json |
    sed -n 's/.*"pending":\([0-9][0-9]*\).*/\1/p'
}

# Build and inspect.
deb=$("$source_dir/scripts/package.sh" "$build_dir" 2>"$work/package.log" | tail -n 1)
[ -f "$deb" ] || { cat "$work/package.log"; fail_now "scripts/package.sh printed no .deb path"; }
arch=$(dpkg --print-architecture)
version=$(dpkg-deb -f "$deb" Version)
check "the package is named sensorgate_<version>_<arch>.deb" \
  test "$(basename "$deb")" = "sensorgate_${version}_${arch}.deb"
check "its version is the project's" grep -q "project(sensorgate VERSION $version " \
  "$source_dir/CMakeLists.txt"

dpkg-deb -c "$deb" >"$work/listing"
awk '$1 !~ /^d/ {print $6}' "$work/listing" | sort >"$work/files"
cat >"$work/expected" <<'FILES'
./etc/sensorgate/sensorgate.yaml
./usr/bin/sensorgate
./usr/lib/systemd/system/sensorgate.service
./usr/lib/sysusers.d/sensorgate.conf
./usr/share/doc/sensorgate/README.md
./usr/share/doc/sensorgate/configuration.md
./usr/share/doc/sensorgate/operations.md
./usr/share/doc/sensorgate/systemd.md
FILES
check "it holds exactly the binary, unit, sysusers entry, config and docs" \
  diff -u "$work/expected" "$work/files"
check "the binary is installed executable by root" \
  grep -q '^-rwxr-xr-x root/root .* ./usr/bin/sensorgate$' "$work/listing"

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for library in libc6 libstdc++6 librdkafka1 libsqlite3-0 libyaml-cpp0.7 libpaho-mqttpp3-1 \
  libsystemd0; do
  check "Depends (from dpkg-shlibdeps) names $library" \
    sh -c "echo ', $depends,' | grep -Fq ', $library ' || echo ', $depends,' | grep -Fq ', $library,'"
done
check "Depends names what postinst creates the user with" \
  sh -c "echo '$depends' | grep -q 'systemd | adduser'"

dpkg-deb -e "$deb" "$work/control"
check "the config is the one conffile" \
  test "$(cat "$work/control/conffiles")" = "/etc/sensorgate/sensorgate.yaml"
for script in postinst prerm postrm; do
  check "the $script script is there and executable" test -x "$work/control/$script"
done

# Install.
dpkg -i "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail_now "dpkg -i"; }
check "dpkg -i installed it" sh -c "dpkg-query -W -f='\${Status}' sensorgate | grep -q 'install ok installed'"
check "the system user sensorgate exists with no login shell" \
  sh -c "getent passwd sensorgate | grep -q ':/var/lib/sensorgate:/usr/sbin/nologin$'"
check "$state is owned by sensorgate, mode 750" \
  test "$(stat -c '%U:%G %a' "$state")" = "sensorgate:sensorgate 750"
check "the unit is installed" test -f /usr/lib/systemd/system/sensorgate.service
check "nothing is enabled at install" \
  test ! -e /etc/systemd/system/multi-user.target.wants/sensorgate.service
check "the shipped config passes check as user sensorgate" \
  runuser -u sensorgate -- /usr/bin/sensorgate check --config /etc/sensorgate/sensorgate.yaml

# A buffer with undelivered readings, an edited config, then the upgrade path (reinstall).
runuser -u sensorgate -- "$fill_buffer" "$state/buffer.db" 25 || fail_now "fill_buffer"
check "the installed backlog command sees 25 pending rows" test "$(pending)" = 25
echo "# edited by the operator" >>/etc/sensorgate/sensorgate.yaml
dpkg -i "$deb" >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail_now "reinstall"; }
check "the reinstall (upgrade path) keeps the buffer's 25 rows" test "$(pending)" = 25
check "the reinstall keeps the operator's edit of the conffile" \
  grep -q "^# edited by the operator$" /etc/sensorgate/sensorgate.yaml
check "the buffer still belongs to sensorgate" \
  test "$(stat -c '%U' "$state/buffer.db")" = sensorgate

# Remove: config and state stay.
dpkg -r sensorgate >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail_now "dpkg -r"; }
check "remove deletes the binary" test ! -e /usr/bin/sensorgate
check "remove deletes the unit" test ! -e /usr/lib/systemd/system/sensorgate.service
check "remove keeps the config" test -f /etc/sensorgate/sensorgate.yaml
check "remove keeps the buffer" test -f "$state/buffer.db"

# Purge: everything goes but the buffer that holds undelivered readings, which purge names.
touch "$state/stray-file"
dpkg --purge sensorgate >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail_now "dpkg -P"; }
cat "$work/purge.log"
check "purge says where the kept buffer is and how many rows it holds" \
  grep -q "sensorgate: purge kept $state/buffer.db: it holds 25 undelivered readings" \
  "$work/purge.log"
check "purge deletes /etc/sensorgate" test ! -e /etc/sensorgate
check "purge leaves only the buffer file(s) in $state" \
  sh -c "test -z \"\$(ls -A '$state' | grep -v '^buffer\.db\(-wal\|-shm\)\?$')\""
check "the kept buffer still holds the 25 rows" \
  sh -c "printf 'gateway: {data_dir: $state}\nkafka: {brokers: x:9092}\n' >'$work/probe.yaml' &&
         '$build_dir/gateway/sensorgate' backlog --config '$work/probe.yaml' --json |
         grep -q '\"pending\":25,'"
check "dpkg no longer knows the package" \
  sh -c "! dpkg-query -W -f='\${Status}' sensorgate 2>/dev/null | grep -q 'installed\|config-files'"
for path in /usr/bin/sensorgate /usr/lib/systemd/system/sensorgate.service \
  /usr/lib/sysusers.d/sensorgate.conf /usr/share/doc/sensorgate; do
  check "purge leaves no $path" test ! -e "$path"
done

# Once more with a buffer that holds nothing undelivered: purge leaves nothing at all.
rm -rf "$state"
dpkg -i "$deb" >"$work/install2.log" 2>&1 || { cat "$work/install2.log"; fail_now "dpkg -i"; }
runuser -u sensorgate -- "$fill_buffer" "$state/buffer.db" 0 || fail_now "fill_buffer 0"
check "the second install has an empty buffer" test "$(pending)" = 0
dpkg --purge sensorgate >"$work/purge2.log" 2>&1 || { cat "$work/purge2.log"; fail_now "dpkg -P"; }
check "purge with an empty buffer deletes $state" test ! -e "$state"
check "purge with an empty buffer says nothing about a kept buffer" \
  sh -c "! grep -q 'purge kept' '$work/purge2.log'"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
