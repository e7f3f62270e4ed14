"""Review in a real browser: submit, return with a comment on a step, fix, resubmit, and an
electronic signature that first gets a wrong password."""

import pytest
from playwright.sync_api import expect

from procedures.models import AuditEvent, Revision, SigningAttempt
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, UserFactory, new_procedure, save

pytestmark = pytest.mark.browser


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_a_revision_is_returned_fixed_resubmitted_and_approved_with_a_signature(page, people):
    manager = UserFactory(
        username="manager", first_name="James", last_name="Okafor", role="Manager"
    )
    draft = save(new_procedure(owner=people["supervisor"], code="CC-CH-030"))
    revision_url = "/desk/CC-CH-030/rev/1/"

    # The supervisor submits the draft to the manager.
    log_in(page, "supervisor")
    page.goto(revision_url)
    page.get_by_label("James Okafor").check()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review. The content is now frozen")).to_be_visible()
    expect(page.get_by_role("link", name="Edit draft")).to_have_count(0)
    log_out(page)

    # The manager returns it with a comment on step 2.
    log_in(page, "manager")
    page.goto(revision_url)
    page.get_by_text("Return to the author for changes").click()
    returning = page.locator("form[action$='/return/']")
    returning.get_by_label("About").select_option(label="Procedure (steps)")
    returning.get_by_label("Step (optional)").select_option(label="Step 2")
    returning.get_by_label("What needs to change").fill("Say which details verify the caller.")
    returning.get_by_role("button", name="Return for changes").click()
    expect(page.get_by_text("Returned to the author for changes")).to_be_visible()
    log_out(page)

    # The supervisor sees the comment beside the steps, fixes step 2 and resubmits.
    log_in(page, "supervisor")
    page.goto(revision_url + "edit/")
    steps = page.locator("#el-procedure")
    expect(steps.get_by_text("Say which details verify the caller.")).to_be_visible()
    steps.locator("[data-step-row]").nth(1).get_by_label("What to do").fill(
        "Verify the caller: full name, date of birth and postcode."
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.goto(revision_url)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    log_out(page)

    # The manager signs: a wrong password first, then the right one.
    log_in(page, "manager")
    page.goto(revision_url)
    expect(page.get_by_text("full name, date of birth and postcode")).to_be_visible()
    signing = page.locator("form#sign")
    signing.get_by_label("Approved", exact=True).check()
    signing.get_by_label("Comment (optional)").fill("Clear now. Thank you.")
    signing.get_by_label("Your password").fill("not my password")
    signing.get_by_role("button", name="Sign").click()
    expect(
        page.get_by_text("The password is not correct. Nothing was signed.").first
    ).to_be_visible()
    signing = page.locator("form#sign")
    expect(signing.get_by_label("Comment (optional)")).to_have_value("Clear now. Thank you.")
    expect(signing.get_by_label("Your password")).to_have_value("")
    signing.get_by_label("Approved", exact=True).check()
    signing.get_by_label("Your password").fill(PASSWORD)
    signing.get_by_role("button", name="Sign").click()
    expect(page.get_by_text("Signed “Approved” as James Okafor")).to_be_visible()
    expect(page.locator(".badge").filter(has_text="Effective").first).to_be_visible()
    signatures = page.get_by_role("region", name="Signatures")
    expect(signatures.get_by_text("James Okafor")).to_be_visible()
    expect(signatures.locator(".badge", has_text="Valid")).to_be_visible()

    log_out(page)

    # The agent's manual now shows the approved revision.
    log_in(page, "agent")
    page.get_by_role("link", name="CC-CH-030").click()
    expect(
        page.get_by_role("article").get_by_text("full name, date of birth and postcode")
    ).to_be_visible()
    expect(page.get_by_text("In force")).to_be_visible()
    expect(
        page.get_by_role("region", name="Signatures").get_by_text("James Okafor")
    ).to_be_visible()

    draft.refresh_from_db()
    assert draft.status == Revision.Status.EFFECTIVE
    assert SigningAttempt.objects.filter(user=manager).count() == 1
    assert list(
        AuditEvent.objects.filter(revision=draft)
        .exclude(action__in=["DRAFT_SAVED", "REVISION_STARTED", "PROCEDURE_CREATED"])
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "SUBMITTED",
        "RETURNED",
        "SUBMITTED",
        "SIGNATURE_FAILED",
        "SIGNED",
        "APPROVED",
        "EFFECTIVE",
    ]
