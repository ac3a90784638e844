// ReceivedQueue: the messages an MQTT adapter with ack: on_receive took from Paho and has not
// mapped yet. Paho runs the message callbacks of every client of the process on its one receive
// thread, which is what limits the adapter's rate; with ack: on_receive nothing waits for the
// mapping, so at a high rate the callback only copies the message in here and returns, and the
// adapter's "mqtt map" thread maps what it finds and hands the readings on (callgrind,
// bench_mqtt: the mapping and the hand-off to the ingest pipeline were ~5,600 of the ~39,000
// instructions the receive thread spent on a message).
//
// Bounded by the bytes of the messages it holds: push() blocks while the bound is reached (the
// receive thread then stops reading from the socket, which pushes back on the broker) and always
// takes a message into an empty queue, however large.
//
// Thread safety: every method from any thread; one thread is expected to take().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sensorgate::mqtt {

struct ReceivedMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  std::int64_t received_ns = 0;  // the adapter clock's time at receipt: the readings' default ts
};

class ReceivedQueue {
 public:
  explicit ReceivedQueue(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Queues a copy of the message; blocks while the queue is full. False once close()d: the
  // message is not queued.
  bool push(std::string_view topic, std::string_view payload, int qos, std::int64_t received_ns);

  // Replaces `out` with every queued message, in the order pushed, waiting while none is queued
  // (only a take() blocked on an empty queue is woken by a push). False (and `out` empty) once
  // close()d and empty: what was queued before close() is still taken. The strings of `out`
  // keep their storage for the messages of the next take().
  bool take(std::vector<ReceivedMessage>& out);

  // The taker handled what its last take() returned.
  void done();
  // Nothing queued and nothing taken being handled: a message handled now, by whichever
  // thread, comes after every message pushed before.
  bool idle();

  // No more push()es; take() returns what is left, then false. Wakes a blocked push().
  void close();

 private:
  static std::size_t weight(const ReceivedMessage& message);

  const std::size_t max_bytes_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::condition_variable room_;
  std::vector<ReceivedMessage> messages_;
  std::size_t count_ = 0;  // messages_[0..count_) are queued; the rest keep their storage
  std::size_t bytes_ = 0;
  bool closed_ = false;
  bool waiting_ = false;   // take() waits for a message
  bool handling_ = false;  // between a take() that returned messages and done()
};

}  // namespace sensorgate::mqtt
