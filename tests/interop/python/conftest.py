"""On failure, attach the recorded JSON-RPC exchange and the server's stderr to the report."""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ARG001
    outcome = yield
    rep = outcome.get_result()
    harness = getattr(item, "funcargs", {}).get("server")
    if rep.when == "call" and rep.failed and harness is not None:
        for i, wire in enumerate(harness.wires):
            rep.sections.append((f"wire #{i} ({harness.mode})", wire.dump()))
        rep.sections.append(("server stderr", harness.stderr()))
