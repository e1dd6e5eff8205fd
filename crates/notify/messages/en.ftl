### Tawasul notifications in English. The conventions are explained at the top of ar.ftl.

signature =
    Kind regards,
    Tawasul

one_time_code-subject = Your Tawasul verification code
one_time_code-body =
    Your verification code is: { $code }

    This code is valid for { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }. Do not share it with anyone; Tawasul staff will never ask you for it.
    If you did not request this code, please ignore this message.

case_received-subject = We have received your case { $reference }
case_received-body =
    Hello,

    Thank you for contacting us. We have received your case about “{ $service_en }” and registered it under the reference { $reference }.
    The responsible team will review it, and we will keep you informed.
    .track_url =
        You can follow your case here:
        { $track_url }

case_received_mail-subject = We have received your case { $reference }
case_received_mail-body =
    Hello,

    Thank you for your e-mail. We have registered it as a case about “{ $service_en }” under the reference { $reference }.
    The responsible team will review it, and we will keep you informed.
    To add information or photos to your case, simply reply to this message from the same address, keeping the reference in the subject.
    .track_url =
        You can follow your case here:
        { $track_url }

case_acknowledged-subject = Your case { $reference } is under review
case_acknowledged-body =
    Hello,

    The responsible team has looked at your case { $reference } and is now reviewing it. We will keep you informed.

case_assigned-subject = Your case { $reference } has been assigned
case_assigned-body =
    Hello,

    Your case { $reference } has been assigned to { $department_en }, which will follow it up and take the necessary action.

case_transferred-subject = Your case { $reference } has been transferred
case_transferred-body =
    Hello,

    Your case { $reference } has been transferred to { $entity_en }, the government entity responsible for this matter, which will follow it up from now on.

case_waiting_on_you-subject = Your case { $reference } is waiting for your reply
case_waiting_on_you-body =
    Hello,

    The team handling your case { $reference } needs more information from you to continue. Please reply through the case tracking page as soon as you can; work on the case is paused until we hear from you.
    .message =
        Message from the case officer:
        { ISOLATE($message) }

case_reply-subject = New reply on your case { $reference }
case_reply-body =
    Hello,

    The team handling your case { $reference } has replied. You can read the reply on the case tracking page.
    .message =
        The reply:
        { ISOLATE($message) }

case_resolved-subject = Your case { $reference } has been resolved
case_resolved-body =
    Hello,

    We are pleased to let you know that your case { $reference } has been resolved. This is what was done:

    { ISOLATE($resolution) }

    If you have any comments on the outcome, you are welcome to send them through the case tracking page. Thank you for your cooperation.
    .survey_url =
        Is the problem really solved? Please rate how it was handled and tell us at this link (it works once, with no sign-in). If we do not hear from you in time, the case will be closed:
        { $survey_url }

case_rejected-subject = Your case { $reference } could not be accepted
case_rejected-body =
    Hello,

    We are sorry to let you know that your case { $reference } could not be accepted, for the following reason:

    { ISOLATE($reason) }

    You are welcome to submit a new case when you have more information. Thank you for your understanding.

case_merged-subject = Your case { $reference } has been joined to case { $into }
case_merged-body =
    Hello,

    Your case { $reference } reports the same matter as case { $into }, so the two have been joined. Case { $into } is being handled, and its progress answers your report too; you can follow it through your case tracking page. Thank you for reporting it.

case_reopened-subject = Your case { $reference } has been reopened
case_reopened-body =
    Hello,

    Your case { $reference } has been reopened, and the responsible team will review it again. We will keep you informed.

case_closed-subject = Your case { $reference } has been closed
case_closed-body =
    Hello,

    Your case { $reference } has been closed. Thank you for contacting us; we are always glad to help.

case_escalated-subject = Your case { $reference } has been escalated
case_escalated-body =
    Hello,

    Your case { $reference } has been escalated to a higher level of management (level { $level }) so that it is dealt with as soon as possible.

escalation_received-subject = We have registered your complaint { $reference }
escalation_received-body =
    Hello,

    We have registered your complaint that your case { $original_reference } was not dealt with, under the reference { $reference }. A higher level of management will review the case, and we will let you know the outcome.

staff_escalation-subject = Escalation: case { $reference } is past its deadline
staff_escalation-body =
    Case { $reference } is past the time allowed for handling it and has been escalated to level { $level }.
    It was due: { $due }

    Please act on it as soon as possible.

staff_ignored_complaint-subject = Complaint about case { $original_reference }
staff_ignored_complaint-body =
    The reporter of case { $original_reference } has complained that it was not dealt with. The complaint is registered under the reference { $reference }.

    Please review the case and reply to the reporter as soon as possible.

kpi_missed-subject = { $entity_en } missed a target in { $period }: { kpi_missed-name }
kpi_missed-body =
    Over { $period }, { $entity_en } missed its target for { kpi_missed-name }.
    Reached: { $value }. Target: { $target }.

    The figures behind it are on the performance dashboard of the staff console.
kpi_missed-name = { $kpi ->
    [within_sla_first_response] first response within SLA (%)
    [within_sla] resolution within SLA (%)
    [within_ola] handling within OLA (%)
    [reopen_rate] reopened cases (%)
    [closure_rate] closed cases (%)
    [confirmed_resolution_rate] cases the resident confirmed solved (%)
    [auto_closed_rate] cases closed without the resident's answer (%)
    [transfer_rate] transferred cases (%)
    [escalation_rate] escalated cases (%)
    [ignored] complaints of being ignored
    [quality_mean] closure quality rating (of 5)
    [speed_mean] speed rating (of 5)
    [employee_mean] employee rating (of 5)
    [agent_rating] contact centre agent rating (of 5)
    [survey_response_rate] survey response rate (%)
   *[other] { $kpi }
}

# What an agent says in a conversation on SMS, WhatsApp or social media, sent on its channel.
chat_reply-subject = A message from our staff
chat_reply-body = { $message }
    .unsigned = -

# The question to a resident whose conversation on SMS, WhatsApp or social media an agent
# served and ended: their rating of the agent, 1 to 5; their next message answers it.
agent_rating-subject = Rate the agent
agent_rating-body = Thank you for contacting us. How would you rate the agent who served you? Send a number from 1 (very poor) to 5 (excellent).
    .unsigned = -
agent_rating-choices = Very poor, Poor, Fair, Good, Excellent
