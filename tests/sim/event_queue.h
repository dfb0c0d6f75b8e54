// EventQueue: the simulator's only notion of time.
//
// Events run in (time, scheduling order): two events at the same
// millisecond run in the order they were scheduled, which keeps a run a pure
// function of its seed. No wall clock, no threads.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace datasync::sim {

class EventQueue {
 public:
  using Fn = std::function<void()>;

  uint64_t now() const { return now_; }
  bool empty() const { return heap_.empty(); }
  uint64_t next_time() const { return heap_.top().time; }

  // REQUIRES: time >= now().
  void At(uint64_t time, Fn fn) {
    heap_.push(Event{time, next_order_++, std::move(fn)});
  }
  void After(uint64_t delay_ms, Fn fn) { At(now_ + delay_ms, std::move(fn)); }

  // Runs the earliest event, advancing now(). REQUIRES: !empty().
  void RunNext() {
    // Moved out before running: the event may schedule others.
    Event e = std::move(const_cast<Event&>(heap_.top()));
    heap_.pop();
    now_ = e.time;
    e.fn();
  }

 private:
  struct Event {
    uint64_t time;
    uint64_t order;
    Fn fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.order > b.order;
    }
  };

  uint64_t now_ = 0;
  uint64_t next_order_ = 0;
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
};

}  // namespace datasync::sim
