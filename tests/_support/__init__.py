"""Helpers shared by the test suites; the one place a suite imports helpers from.

- `wire`: builders of contract-shaped chat replies and SSE streams (PNG bytes, usage).
- `task_server`: `FakeHiAPI`, an in-memory task API over `httpx.MockTransport`.
- `servers`: `RawServer`, a hand-made HTTP server on 127.0.0.1 for hostile replies.
- `urls`: internal and odd URLs every download must refuse.
- `harness`: model names, `SleepRecorder`, sync/async call helpers, a closed port.
- `catalogue_inputs`: task inputs the catalogue must accept (`VALID_INPUTS`) or refuse.
- `task_world`: `World`, a scripted task server and fake clock the task flows run against.
- `task_clients`: run a method of `HiAPITasks` or `AsyncHiAPITasks` alike.
- `transports`: a recording MockTransport handler (`Recorder`) and `mock_chat`.
- `client_calls`: `HiAPIClient` JSON and stream calls in sync or async mode.
- `callbacks`: handlers recording custom events (`Events`, `AsyncEvents`).
- `cassettes`: cassette constants (`RECORDING`, ...) and `task_cassette_config`.
- `standard`: ChatHiAPI capability flags for the langchain-tests standard suites.
- `emulator`: plain-HTTP helpers for the task-API emulator (create, poll, errors, a fake
  clock, a loopback callback `Receiver`).
- `client`: a scripted `httpx.MockTransport` (`Server`) and a sync/async `HiAPIClient` `Harness`.
"""
