"""The Drafter never calls the keyring on the loop's thread.

A keyring call may block for as long as an unlock prompt stays open; on the GUI loop that
freezes the window, the polling and the webhooks together. `OffLoopKeyring` refuses every
call made on the main thread (where pytest runs the test's event loop, as the app runs
its GUI loop), so each test below fails if a draft, a settings test or a key save reads
or writes the key there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.domain import Opportunity
from app.sandbox import Sandbox
from app.services.drafting import SECRET_NAME, Drafter, DraftingError, ModelSettings
from app.services.secrets import SERVICE, SecretError, SecretStore
from app.store import Store
from tests.drafting.conftest import OffLoopKeyring

pytestmark = pytest.mark.integration


@pytest.fixture
async def keyed_drafter(
    store: Store, sandbox: Sandbox, off_loop_keyring: OffLoopKeyring
) -> AsyncIterator[Drafter]:
    """A Drafter on the sandbox model whose key is only in the (refusing) keyring."""
    endpoint = sandbox.info.openai
    assert endpoint is not None
    off_loop_keyring.store[(SERVICE, SECRET_NAME)] = endpoint.api_key
    made = Drafter(store, SecretStore())
    made.save_model_settings(
        ModelSettings(base_url=endpoint.base_url, model=endpoint.model, timeout=5.0)
    )
    yield made
    await made.aclose()


def test_the_keyring_refuses_the_main_thread(off_loop_keyring: OffLoopKeyring) -> None:
    """The check the other tests rely on: a sync call on this thread does fail."""
    with pytest.raises(SecretError):
        SecretStore().get(SECRET_NAME)
    assert off_loop_keyring.on_main_thread


async def test_a_draft_reads_the_key_off_the_loop(
    keyed_drafter: Drafter, off_loop_keyring: OffLoopKeyring, job: Opportunity
) -> None:
    result = await keyed_drafter.draft(job)  # the sandbox refuses a wrong key with 401
    assert result.text.strip() and result.finish_reason == "stop"
    assert off_loop_keyring.calls >= 1  # the key came from the keyring
    assert off_loop_keyring.on_main_thread == []


async def test_warm_up_and_answers_read_the_key_off_the_loop(
    keyed_drafter: Drafter, off_loop_keyring: OffLoopKeyring, job: Opportunity
) -> None:
    await keyed_drafter.warm_up()
    assert keyed_drafter._client is not None
    answers = await keyed_drafter.draft_answers(job)
    assert [a.question_id for a in answers] == ["q1", "q2"]
    assert all(a.answer for a in answers)
    assert off_loop_keyring.calls >= 1
    assert off_loop_keyring.on_main_thread == []


async def test_the_settings_test_reads_the_stored_key_off_the_loop(
    keyed_drafter: Drafter, off_loop_keyring: OffLoopKeyring
) -> None:
    message = await keyed_drafter.check_model()
    assert message.startswith("The model “biddesk-sandbox-writer” answered in")
    assert off_loop_keyring.calls >= 1
    assert off_loop_keyring.on_main_thread == []


async def test_saving_and_checking_the_key_stay_off_the_loop(
    store: Store, off_loop_keyring: OffLoopKeyring
) -> None:
    drafter = Drafter(store, SecretStore())
    assert await drafter.akeyring_problem() is None
    assert await drafter.ahas_api_key() is False
    await drafter.aset_api_key("sk-typed-0a1b2c3d4e5f")
    assert off_loop_keyring.store[(SERVICE, SECRET_NAME)] == "sk-typed-0a1b2c3d4e5f"
    assert await Drafter(store, SecretStore()).ahas_api_key() is True  # a fresh read
    assert off_loop_keyring.calls >= 3
    assert off_loop_keyring.on_main_thread == []


async def test_a_hosted_model_with_no_stored_key_is_a_sentence_not_a_freeze(
    store: Store, off_loop_keyring: OffLoopKeyring, job: Opportunity
) -> None:
    drafter = Drafter(store, SecretStore())  # api.openai.com: a key is required
    try:
        with pytest.raises(DraftingError, match="No API key for the model"):
            await drafter.draft(job)
    finally:
        await drafter.aclose()
    assert off_loop_keyring.calls >= 1
    assert off_loop_keyring.on_main_thread == []
