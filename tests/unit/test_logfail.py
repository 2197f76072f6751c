"""The suite polices itself: an error logged, a task that died unobserved, or an exception
that reached the loop fails the test it happened in, unless the test says it expects it.

Each case runs a small test file in an inner pytest session (pytester) with the root
conftest's fixture and loop factory, and checks the inner outcome.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
from tests.conftest import _fail_on_unobserved_errors, pytest_asyncio_loop_factories
"""

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
markers =
    allow_error_log(reason, logger=None, match=None): expected errors
"""


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    return pytester


def run(inner: pytest.Pytester, source: str) -> pytest.RunResult:
    inner.makepyfile(test_inner="import asyncio, logging\nimport pytest\n" + source)
    return inner.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")


def test_an_error_record_fails_the_test(inner: pytest.Pytester) -> None:
    result = run(
        inner,
        """
def test_it():
    logging.getLogger("app.somewhere").error("the sky fell")
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR on 'app.somewhere': the sky fell*"])


def test_a_warning_does_not(inner: pytest.Pytester) -> None:
    result = run(
        inner,
        """
def test_it():
    logging.getLogger("app.somewhere").warning("a cloud")
""",
    )
    result.assert_outcomes(passed=1)


def test_the_marker_allows_only_what_it_names(inner: pytest.Pytester) -> None:
    result = run(
        inner,
        """
@pytest.mark.allow_error_log("expected", logger="app.a", match="known")
def test_allowed():
    logging.getLogger("app.a.child").error("a known failure")

@pytest.mark.allow_error_log("expected", logger="app.a", match="known")
def test_other_logger():
    logging.getLogger("app.b").error("a known failure")

@pytest.mark.allow_error_log("expected", logger="app.a", match="known")
def test_other_message():
    logging.getLogger("app.a").error("something new")

@pytest.mark.allow_error_log("")
def test_no_reason():
    pass
""",
    )
    result.assert_outcomes(passed=3, errors=3)  # the reasonless one errs at setup
    result.stdout.fnmatch_lines(["*test_no_reason*", "*needs a reason as its first argument*"])


def test_a_crashing_owned_task_fails_the_test(inner: pytest.Pytester) -> None:
    result = run(
        inner,
        """
from app.services.tasks import TaskManager

async def test_it():
    tasks = TaskManager()
    async def crash():
        raise RuntimeError("crashed in the background")
    task = tasks.spawn(crash(), name="poll")
    await asyncio.wait([task])
    await tasks.shutdown()
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*background task poll failed*"])


def test_a_task_nobody_awaits_fails_the_test(inner: pytest.Pytester) -> None:
    result = run(
        inner,
        """
async def test_it():
    async def crash():
        raise RuntimeError("nobody saw this")
    task = asyncio.get_running_loop().create_task(crash(), name="orphan")
    await asyncio.wait([task])
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*Task exception was never retrieved*orphan*", "*nobody saw*"])


def test_an_exception_in_a_loop_callback_fails_the_test(inner: pytest.Pytester) -> None:
    result = run(
        inner,
        """
async def test_it():
    def boom():
        raise ValueError("in a callback")
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.call_soon(boom)
    loop.call_soon(done.set)
    await done.wait()
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*LOOP on 'asyncio': Exception in callback*"])


def test_a_retrieved_task_exception_is_fine(inner: pytest.Pytester) -> None:
    result = run(
        inner,
        """
async def test_it():
    async def crash():
        raise RuntimeError("handled")
    task = asyncio.get_running_loop().create_task(crash())
    with pytest.raises(RuntimeError):
        await task
""",
    )
    result.assert_outcomes(passed=1)
