# English. Every message id here must exist in every other file (a test checks).
language-name = English
site-name = Tawasul
skip-to-content = Skip to content
language-switch = Language
nav-label = Main
nav-new = Tell us
nav-track = Follow a case
nav-my-cases = My cases
footer-text = Tawasul — the government hears its residents. Your personal data is used only to answer you.

error-title = Something stopped this page
error-status = Error { $status }
error-home = Back to the start
error-csrf = This form has expired or did not come from this site. Go back, reload the page and send it again.
error-not-found = We could not find this page or case. Check the link or the reference.
error-forbidden = You may not do this.
error-bad-request = The request could not be read. Go back and try again.
error-too-large = The files are too large. Each may be at most 10 MB, and at most 5 at once.
error-conflict = The case changed meanwhile, or this action does not fit its status. Reload the page.
error-too-many = Too many attempts. Wait a while and try again.
error-unavailable = The service is busy or restarting. Try again in a minute.
error-unexpected = Something went wrong on our side. Your data is safe; try again.

home-title = What do you want to tell us?
home-lead = A complaint, a suggestion, a question, a report of a problem, or thanks: choose the service and write in your own words.
home-search-label = Search the services
home-search-placeholder = e.g. street lighting, water leak, rubbish
home-search-button = Search
home-kinds-title = What kind of message?
home-services-title = Services
home-results-title = Services matching “{ $query }”
home-no-results = No service matched. Try other words, or pick a service from the list without a search.
home-track-title = Already told us?
home-track-text = Follow your case with the private link you received, or with your phone number or e-mail.

kind-complaint = Complaint
kind-suggestion = Suggestion
kind-inquiry = Inquiry
kind-report = Report a problem
kind-compliment = Compliment
kind-escalation = Escalation
kind-hint-complaint = Something went wrong with a service
kind-hint-suggestion = An idea to do better
kind-hint-inquiry = A question for us
kind-hint-report = A problem in a street or a place
kind-hint-compliment = Thank a team or a person

form-has-errors = Please correct the marked fields
form-kind = What kind of message is it?
form-description = Describe it
form-required = (required)
form-description-hint = What happened, where and since when. Do not write passwords or card numbers.
form-range = Between
form-photos = Photos (optional)
form-photos-hint = Up to { $count } photos or PDF files, at most 10 MB each.
form-location = Where is it?
form-location-hint = Pick the place on the map, use your location, or type the address.
form-use-my-location = Use my location
form-map-label = Map: tap to place the marker
form-map-failed = The map could not be loaded. Type the address instead.
form-lat = Latitude
form-lon = Longitude
form-address = Address or landmark
form-contact = How can we reach you?
form-contact-hint = Optional. Without contact details you can still follow the case with the private link you get after sending.
form-anonymous = Send anonymously
form-name = Name
form-phone = Mobile number
form-email = E-mail
form-submit = Send

invalid-required = This is required.
invalid-too_long = This is too long.
invalid-invalid_type = This is not in the expected form.
invalid-out_of_range = This is outside the allowed range.
invalid-forbidden_character = This holds characters that are not allowed.
invalid-invalid_phone = Enter a mobile number such as +973 3300 0000.
invalid-invalid_email = Enter an e-mail address such as name@example.com.
invalid-kind_not_accepted = This service does not take this kind of message.
invalid-unknown_kind = Choose what kind of message it is.
invalid-unknown_option = Choose one of the options.
invalid-duplicate_option = An option is chosen twice.
invalid-incomplete_location = Give both latitude and longitude, or neither.
invalid-file_too_large = A file is larger than 10 MB.
invalid-empty_file = A file is empty.
invalid-too_many_files = At most 5 photos at once. Choose the ones that show the problem best.
invalid-unsupported_file_type = Only photos (JPEG, PNG, WebP, HEIC) and PDF files are accepted.
invalid-content_mismatch = A file is not what its name says.
invalid-invalid_code = The code is wrong, used or expired.
invalid-invalid_date = Enter a date as YYYY-MM-DD.
invalid-unknown_department = Choose a department of this entity.
invalid-unknown_assignee = Choose a staff member of this entity.
invalid-other = Check this field.

submitted-title = Thank you — we received it
submitted-reference = Your reference:
submitted-keep-link = Keep this private link to follow your case, add photos and answer us:
submitted-track = Follow my case
submitted-private = Anyone with this link can see the case: do not share it.

track-title = Follow a case
track-by-reference = With the reference and its code
track-reference = Reference
track-token = Private code (from the link)
track-open = Open
track-by-contact = With your phone or e-mail
track-by-contact-hint = We send a one-time code to the number or address you gave with your cases.
track-contact = Mobile number or e-mail
track-send-code = Send me a code
code-title = Enter the code
code-sent = We sent a six-digit code to { $contact }. It is valid for 10 minutes.
code-label = Code
code-verify = Confirm
my-title = My cases
my-none = No cases are linked to this contact yet.
my-logout = Sign out
track-resolution = What was done
track-timeline = Timeline
track-attachments = Photos and files
track-no-attachments = No photos or files yet.
track-photo-alt = Photo { $name }
track-add-photos = Add photos
track-upload = Upload
track-reply-title = Reply to us
track-reply-label = Your message
track-reply-send = Send reply

status-new = Received
status-acknowledged = Acknowledged
status-assigned = Assigned
status-in_progress = In progress
status-waiting_on_reporter = Waiting for you
status-resolved = Resolved
status-closed = Closed
status-rejected = Rejected

event-received = Received
event-routed = Sent to the department
event-reply = Reply from the team
event-note = Internal note
event-reporter_comment = Your message
event-attachment = File added
event-acknowledge = Acknowledged
event-assign = Assigned
event-start = Work started
event-wait_on_reporter = Waiting for your answer
event-resume = Work resumed
event-resolve = Resolved
event-close = Closed
event-reopen = Reopened
event-reject = Rejected
event-survey = Rating received
actor-system = Tawasul
actor-staff = Team
actor-reporter = You

staff-login-title = Staff sign-in
staff-login-failed = Wrong username or password.
staff-username = Username
staff-password = Password
staff-login = Sign in
staff-queues = Queues
staff-logout = Sign out
role-admin = Administrator
role-supervisor = Supervisor
role-agent = Agent
role-officer = Officer
role-inspector = Inspector
role-liaison = Liaison
role-satisfaction = Satisfaction unit
role-secretary = Secretary
queue-mine = Assigned to me
queue-department = My department
queue-all = All cases
queue-empty = No cases here.
filter-text = Search
filter-status = Status
filter-any = Any
filter-service = Service
filter-channel = Channel
filter-from = From
filter-to = To
filter-apply = Filter
filter-priority = Priority
filter-sla = Service time
filter-sort = Sort by
sort-newest = Newest first
sort-oldest = Oldest first
sort-due = Due soonest
sort-priority = Most urgent
col-reference = Reference
col-status = Status
col-kind = Kind
col-summary = Summary
col-department = Department
col-assignee = Assignee
col-priority = Priority
col-created = Received
pager = Pages
pager-first = First page
pager-next = Next page
priority-low = Low
priority-normal = Normal
priority-high = High
priority-urgent = Urgent
channel-web = Web
channel-api = API
channel-phone = Phone
channel-email = E-mail
channel-sms = SMS
channel-whatsapp = WhatsApp
channel-chat = Chat
channel-walk_in = Walk-in
channel-social = Social media
channel-open311 = Open311
channel-qr = QR code
staff-internal = Internal
staff-comment-title = Reply or note
staff-visibility = Who sees it
staff-public-reply = Reply to the resident
staff-internal-note = Internal note (staff only)
staff-comment-label = Text
staff-comment-send = Save
staff-actions = Actions
staff-no-actions = No action is open to you on this case.
staff-resolution = What was done (the resident reads this)
staff-reason = Reason (the resident reads this)
action-acknowledge = Acknowledge
action-assign = Assign
action-start = Start work
action-wait_on_reporter = Wait for the resident
action-resume = Resume
action-resolve = Resolve
action-close = Close
action-reopen = Reopen
action-reject = Reject
staff-details = Details
staff-reporter = Reporter
staff-masked = Contact details are masked for your role.
staff-anonymous = Anonymous

gregorian-month-1 = January
gregorian-month-2 = February
gregorian-month-3 = March
gregorian-month-4 = April
gregorian-month-5 = May
gregorian-month-6 = June
gregorian-month-7 = July
gregorian-month-8 = August
gregorian-month-9 = September
gregorian-month-10 = October
gregorian-month-11 = November
gregorian-month-12 = December
hijri-month-1 = Muharram
hijri-month-2 = Safar
hijri-month-3 = Rabi al-Awwal
hijri-month-4 = Rabi al-Thani
hijri-month-5 = Jumada al-Ula
hijri-month-6 = Jumada al-Akhirah
hijri-month-7 = Rajab
hijri-month-8 = Shaban
hijri-month-9 = Ramadan
hijri-month-10 = Shawwal
hijri-month-11 = Dhu al-Qadah
hijri-month-12 = Dhu al-Hijjah
hijri-era = AH

survey-title = How did we do?
survey-hint = Your rating goes to the team and to the unit that watches residents' satisfaction.
survey-quality = Quality of the solution
survey-speed = Speed
survey-agent = The staff who handled it
survey-comment = Anything else? (optional)
survey-send = Send my rating
survey-thanks = Thank you for your rating
survey-low = Low rating
score-5 = 5 — excellent
score-4 = 4 — good
score-3 = 3 — fair
score-2 = 2 — poor
score-1 = 1 — very poor

reply-templates = Reply templates (in the resident's language)
reply-resident = resident
reply-template-label-received = We are on it
reply-template-label-more-info = Need more details
reply-template-label-resolved = Done
reply-template-received = Dear { $name }, we received your report { $reference } ({ $service }) and the team is working on it. Thank you for telling us.
reply-template-more-info = Dear { $name }, to act on { $reference } ({ $service }) we need a few more details: please reply here with the exact place and, if you can, a photo.
reply-template-resolved = Dear { $name }, the work on { $reference } ({ $service }) is done. Please tell us how we did when you rate the case.

# Workflow: transfers, SLA badges, queues of the workflow engine.
status-transferred = Transferred to another entity
queue-triage = Triage
queue-transferred = Transferred to us
queue-followed = Handed to others
queue-escalated = Escalated
col-sla = Service time
sla-on_track = On track
sla-due_soon = Due soon
sla-overdue = Overdue
sla-paused = Paused, waiting on the resident
sla-stopped = Done
sla-none = No target
sla-due-by = by { $due }
sla-due-now = Due now
sla-left-minutes = { $n ->
    [one] 1 minute left
   *[other] { $n } minutes left
}
sla-left-hours = { $n ->
    [one] 1 hour left
   *[other] { $n } hours left
}
sla-left-days = { $n ->
    [one] 1 day left
   *[other] { $n } days left
}
sla-late-minutes = { $n ->
    [one] Overdue by 1 minute
   *[other] Overdue by { $n } minutes
}
sla-late-hours = { $n ->
    [one] Overdue by 1 hour
   *[other] Overdue by { $n } hours
}
sla-late-days = { $n ->
    [one] Overdue by 1 day
   *[other] Overdue by { $n } days
}

ignored-title = No answer?
ignored-explain = Your report is past its due time or has had no news for a while. You can complain to the beneficiary-satisfaction unit; you will follow the complaint under a new reference.
ignored-label = What should the beneficiary-satisfaction unit know?
ignored-send = Send the complaint
ignored-open = Your complaint is being followed under { $reference }.
ignored-from = You may complain that your report was ignored from { $date }.
event-transferred = Transferred to another entity
event-transfer_accepted = Accepted by the receiving entity
event-escalated = Escalated for delay
event-ignored_complaint = Complaint: report ignored

transfer-title = Transfer
transfer-to = To
transfer-reason = Why it is transferred
transfer-send = Transfer
transfer-incoming = Transferred to your entity
transfer-accept-department = Department that takes it
transfer-triage = Triage
transfer-accept = Accept
transfer-return-reason = Why it is returned
transfer-return = Return to the sender

# Live updates (assets/app.js)
live-case-changed = This case has just changed; what you see is up to date.
live-queue-changed = This list has just changed; what you see is up to date.
live-reload = Reload the page
