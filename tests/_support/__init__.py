"""Helpers shared by the test suites; the one place a suite imports helpers from.

- `wire`: builders of contract-shaped chat replies and SSE streams (PNG bytes, usage).
- `task_server`: `FakeHiAPI`, an in-memory task API over `httpx.MockTransport`.
- `servers`: `RawServer`, a hand-made HTTP server on 127.0.0.1 for hostile replies.
- `urls`: internal and odd URLs every download must refuse.
- `harness`: model names, `SleepRecorder`, sync/async call helpers, a closed port.
- `catalogue_inputs`: task inputs the catalogue must accept (`VALID_INPUTS`) or refuse.
- `emulator`: plain-HTTP helpers for the task-API emulator (create, poll, errors, a fake
  clock, a loopback callback `Receiver`).
- `client`: a scripted `httpx.MockTransport` (`Server`) and a sync/async `HiAPIClient` `Harness`.
"""
