"""Property test: any sequence of add/get/done matches a small model of the queue's promises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lattice_controller._kits.clock import FakeClock
from lattice_controller.queue import Priority, WorkQueue

KEYS = st.sampled_from("abcde")
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), KEYS, st.sampled_from([Priority.LOW, Priority.HIGH])),
        st.tuples(st.just("get")),
        st.tuples(st.just("done"), st.integers(min_value=0, max_value=4)),
    ),
    max_size=60,
)


def get_now(queue: WorkQueue[str]) -> str | None:
    """Drive ``get`` without an event loop; only valid when a key is pending (it never suspends then)."""
    coroutine = queue.get()
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    raise AssertionError("get suspended although a key was pending")


class Model:
    def __init__(self) -> None:
        self.dirty: dict[str, Priority] = {}
        self.processing: list[str] = []
        self.lines: dict[Priority, list[str]] = {Priority.HIGH: [], Priority.LOW: []}

    def add(self, key: str, priority: Priority) -> None:
        if key in self.dirty:
            if priority > self.dirty[key]:
                self.dirty[key] = priority
                if key not in self.processing:
                    self.lines[Priority.LOW].remove(key)
                    self.lines[Priority.HIGH].append(key)
            return
        self.dirty[key] = priority
        if key not in self.processing:
            self.lines[priority].append(key)

    def get(self) -> str:
        line = self.lines[Priority.HIGH] or self.lines[Priority.LOW]
        key = line.pop(0)
        del self.dirty[key]
        self.processing.append(key)
        return key

    def done(self, key: str) -> None:
        self.processing.remove(key)
        if key in self.dirty:
            self.lines[self.dirty[key]].append(key)

    def pending(self) -> int:
        return len(self.lines[Priority.HIGH]) + len(self.lines[Priority.LOW])


@settings(max_examples=300, deadline=None)
@given(OPERATIONS)
def test_queue_matches_model(operations: list[tuple[object, ...]]) -> None:
    queue: WorkQueue[str] = WorkQueue("p", FakeClock())
    model = Model()
    for operation in operations:
        match operation:
            case ("add", str(key), Priority() as priority):
                queue.add(key, priority)
                model.add(key, priority)
            case ("get",):
                if model.pending():
                    assert get_now(queue) == model.get()
            case ("done", int(index)):
                if model.processing:
                    key = model.processing[index % len(model.processing)]
                    queue.done(key)
                    model.done(key)
        assert len(queue) == model.pending()
        assert queue.processing == len(model.processing)
        assert len(set(model.processing)) == len(model.processing)  # never two workers on one key
