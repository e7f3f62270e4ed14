"""The document controller manages procedure templates; SOP Desk ships a starter set.

Guidance is written between [[ and ]]: a draft cannot be submitted while any is left.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = [
    "add_proceduretemplate",
    "change_proceduretemplate",
    "delete_proceduretemplate",
    "view_proceduretemplate",
]

COMMON = {
    "documentation": "- [[The forms, CRM screens and records this procedure uses or produces; attach the forms below.]]",
    "training": "[[The course or coaching an agent completes before doing this, and who signs it off.]]",
    "review_and_approval": "[[Who reviews this procedure (the owner) and who approves it (the operations manager).]]",
}

TEMPLATES = [
    {
        "name": "Inbound call handling",
        "description": "Greeting to wrap-up for inbound calls, with hold and transfer rules.",
        "title": "Handling an inbound call",
        "step_format": "HIERARCHICAL",
        "purpose": "[[Why this procedure exists: a consistent, courteous answer to every inbound call, resolved on the first contact where possible.]]",
        "scope": "[[Which queues, channels and agents it covers, and what it does not (outbound, e-mail, chat).]]",
        "responsibilities": "- **Agent**: [[answers, verifies, resolves or transfers, and records the call.]]\n- **Team leader**: [[helps on request and takes escalations.]]",
        "steps": "[[Answer within the service level with the approved greeting.]]\n[[Verify the caller (see the caller verification procedure).]]\n[[Find out the reason for the call.]]\n  [[Ask open questions, then confirm the need in your own words.]]\n[[Resolve the request, or transfer it with a warm handover.]]\n  [[Before a hold, ask permission and say how long; check back every 60 seconds.]]\n[[Summarise, offer further help and close the call.]]\n[[Record the disposition code and notes in the CRM.]]",
        "procedure_notes": "[[Anything an agent needs before the first call or after the last: scripts, systems, exceptions.]]",
        "measures": "Calls answered within 20 seconds | ≥ 80% | Telephony report | Daily\nFirst-call resolution | ≥ 75% | CRM: no repeat call within 7 days | Weekly\nAverage handling time | [[target in minutes]] | Telephony report | Weekly",
        "measures_notes": "[[Who reads these figures, and what happens when a target is missed.]]",
    },
    {
        "name": "Escalation",
        "description": "When and how an agent hands a call to a team leader or a specialist.",
        "title": "Escalating a call",
        "step_format": "FLOWCHART",
        "purpose": "[[Why escalation exists: the caller reaches someone who can decide, quickly, and the agent is not left alone.]]",
        "scope": "[[Which situations are escalated (threats, legal, vulnerable callers, requests beyond the agent's authority) and which are not.]]",
        "responsibilities": "- **Agent**: [[recognises the need, informs the caller, hands over with a summary.]]\n- **Team leader**: [[accepts the call within the agreed time, or names a specialist.]]",
        "steps": "[[Recognise a situation that must be escalated.]]\n[[Tell the caller what happens next and how long it takes.]]\n[[Hand over to the team leader with a summary of the call.]]\n[[Record the escalation reason in the CRM.]]",
        "procedure_notes": "[[The list of situations that must be escalated, and the contact for each.]]",
        "measures": "Escalations accepted within 2 minutes | ≥ 90% | Telephony report | Weekly\nEscalations resolved on the day | [[target]] | Escalation log | Monthly",
        "measures_notes": "[[How escalations are reviewed with the team.]]",
    },
    {
        "name": "Quality monitoring",
        "description": "Call listening with a scorecard, feedback to the agent and calibration sessions.",
        "title": "Quality monitoring and calibration",
        "step_format": "HIERARCHICAL",
        "purpose": "[[Why calls are evaluated: consistent service, fair feedback, coaching where it helps.]]",
        "scope": "[[How many calls per agent per month, which channels, who evaluates.]]",
        "responsibilities": "- **Quality analyst**: [[listens, scores with the scorecard, gives feedback.]]\n- **Team leader**: [[coaches from the evaluations.]]\n- **Quality lead**: [[runs the calibration sessions.]]",
        "steps": "[[Select the calls to evaluate at random from the recording system.]]\n[[Listen to the whole call and score it with the scorecard.]]\n  [[Score every line; write a reason for every point lost.]]\n[[Share the evaluation with the agent within 3 working days.]]\n[[Calibrate every month.]]\n  [[Every evaluator scores the same call on their own.]]\n  [[Compare the scores line by line and agree the reading of the scorecard.]]\n  [[Record the agreed reading and the spread of scores.]]",
        "procedure_notes": "[[The scorecard's lines and weights, or where the scorecard is attached.]]",
        "measures": "Evaluations per agent per month | ≥ 4 | QA system | Monthly\nCalibration spread between evaluators | ≤ 5 points | Calibration record | Monthly\nQuality score | [[target]] | Scorecard average | Monthly",
        "measures_notes": "[[How results are reported and coached.]]",
    },
    {
        "name": "Shift swap request",
        "description": "How agents swap shifts and how workforce management approves the swap.",
        "title": "Requesting a shift swap",
        "step_format": "SIMPLE",
        "purpose": "[[Why: flexibility for agents without leaving a shift under-staffed.]]",
        "scope": "[[Who may swap, how far in advance, and which shifts cannot be swapped.]]",
        "responsibilities": "- **Agent**: [[finds a colleague and files the request.]]\n- **Workforce planner**: [[checks coverage and approves or declines.]]",
        "steps": "[[Agree the swap with a colleague with the same skills.]]\n[[File the request in the workforce management tool at least 48 hours ahead.]]\n[[The workforce planner checks coverage and approves or declines.]]\n[[Both agents check the published schedule.]]",
        "procedure_notes": "[[Exceptions: emergencies, holidays, training days.]]",
        "measures": "Requests answered within 24 hours | ≥ 95% | WFM tool | Monthly\nSchedule adherence on swapped shifts | [[target]] | WFM tool | Monthly",
        "measures_notes": "[[Who reviews swap patterns.]]",
    },
    {
        "name": "Complaint handling",
        "description": "Receiving, recording, resolving and answering a customer complaint.",
        "title": "Handling a complaint",
        "step_format": "SIMPLE",
        "purpose": "[[Why: every complaint is heard, recorded and answered within the promised time.]]",
        "scope": "[[What counts as a complaint, which channels, and which complaints go to the legal or regulatory team.]]",
        "responsibilities": "- **Agent**: [[listens, records and tries to resolve on the call.]]\n- **Complaints team**: [[investigates and answers what the agent cannot resolve.]]",
        "steps": "[[Listen without interrupting and acknowledge the complaint.]]\n[[Record it in the CRM with the complaint category.]]\n[[Resolve it on the call if you can, and confirm the caller is satisfied.]]\n[[Otherwise pass it to the complaints team and tell the caller when they will hear back.]]\n[[Send the written answer within the promised time.]]",
        "procedure_notes": "[[The complaint categories and the promised response times.]]",
        "measures": "Complaints answered within 5 working days | ≥ 95% | CRM complaint log | Weekly\nComplaints resolved on the first call | [[target]] | CRM complaint log | Monthly",
        "measures_notes": "[[How complaint trends are reviewed.]]",
    },
    {
        "name": "Caller verification",
        "description": "Verifying a caller's identity before discussing or changing an account.",
        "title": "Verifying the caller",
        "step_format": "FLOWCHART",
        "purpose": "[[Why: protect customers' data; only the account holder or an authorised person is served.]]",
        "scope": "[[Which requests need full verification and which need none (general information).]]",
        "responsibilities": "- **Agent**: [[verifies before any account detail is given or changed.]]\n- **Team leader**: [[decides when verification fails and the caller insists.]]",
        "steps": "[[Ask for the account number or the registered phone number.]]\n[[Ask two security questions from the CRM.]]\n[[Record the verification result in the CRM.]]",
        "procedure_notes": "[[What never to ask or say (full card numbers, passwords), and what to do after three failed attempts.]]",
        "measures": "Calls with verification recorded | 100% | QA scorecard | Monthly\nData protection incidents | 0 | Incident log | Monthly",
        "measures_notes": "[[How incidents are reported.]]",
    },
]


def install(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    controller, _created = Group.objects.get_or_create(name="Document controller")
    controller.permissions.add(
        *Permission.objects.filter(content_type__app_label="procedures", codename__in=CODENAMES)
    )
    ProcedureTemplate = apps.get_model("procedures", "ProcedureTemplate")
    for order, values in enumerate(TEMPLATES, start=1):
        ProcedureTemplate.objects.get_or_create(
            name=values["name"], defaults={**COMMON, **values, "order": order}
        )


def uninstall(apps, schema_editor):
    ProcedureTemplate = apps.get_model("procedures", "ProcedureTemplate")
    ProcedureTemplate.objects.filter(name__in=[t["name"] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("procedures", "0010_media")]

    operations = [migrations.RunPython(install, uninstall)]
