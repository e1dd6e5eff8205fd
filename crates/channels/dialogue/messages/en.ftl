# The guided dialogue of the phone line, SMS, WhatsApp, chat and social media, in English.
# A language is a file: the engine offers every language that has one.
# Lines ending in -voice are spoken (the phone line); the others are written.

language-name = English
language-prompt = Choose your language
language-option-voice = For English, press { $key }.
language-option-text = { $key }. English

option-voice = For { $label }, press { $key }.
option-text = { $key }. { $label }
navigation-voice = To go back, press star. To repeat, press 9. To speak to a person, press 0.
navigation-text = Send "back" to go back, "repeat" to hear this again, or 0 to speak to a person.

# Words a resident may type instead of a key, separated by commas.
command-back = back, previous
command-repeat = repeat, again
command-person = agent, person, human, operator
command-skip = skip, none
command-yes = yes, confirm

welcome = Welcome to the Tawasul centre for reports and suggestions.
menu-prompt = How can we help you?
menu-new = a new report, complaint or suggestion
menu-status = the status of a report by its reference
menu-person = speaking to a person
menu-faq = common questions

kind-prompt = What would you like to tell us?
kind-complaint = a complaint
kind-suggestion = a suggestion
kind-inquiry = an inquiry
kind-report = a report of a problem
kind-compliment = a compliment

service-prompt = Choose the service.
service-words = describing it in your own words
service-more = more services
words-prompt = Describe it in a few words, such as: water leak, or street light.
words-no-match = We found no service matching what you said.
pick-prompt = Did you mean one of these services?
pick-none = none of these

field-text = { $label }: type your answer.
field-text-voice = { $label }: enter the number, then press hash.
field-number = { $label }: enter a number.
field-number-voice = { $label }: enter the number, then press hash.
field-date = { $label }: type the date as day, month and year, such as 05-12-2026, or send 1 for today.
field-date-voice = { $label }: enter the date as eight digits, day, month and year, then press hash, or press 1 for today.
field-choice = { $label }:
field-invalid = That answer does not fit here.

describe-prompt = Describe the problem in detail: what it is, since when, and exactly where.
describe-prompt-voice = After the tone, describe the problem in your own voice, then press hash.
describe-too-short = We need a slightly longer description to understand the problem.
recorded-description = A voice recording from the caller is attached to this case.
media-received = We have your photo; it will be attached to the case.

location-prompt = Share your location, type the address, or send 1 to skip.
location-prompt-voice = Say the address after the tone, or press 1 to skip.

confirm-summary = { $kind } about "{ $service }": { $description }
confirm-prompt = Shall we send this?
confirm-send = yes, send it
confirm-restart = start again

submitted = Your case is registered as { $reference }. Keep this reference to follow it; we will tell you of every change.
submitted-voice = Your case is registered. Its reference is: { $digits }. Again: { $digits }.
submit-refused = The case could not be registered: { $reason }

# Public replies under a post on social media: everyone reads them, so they carry the
# reference only, never the author's name nor what the case is about.
post-case = Thank you. Your report is registered as { $reference }; we will follow up in a private message.
post-joined = Thank you. Your comment was added to report { $reference }.

reference-prompt = Type the reference, such as TW-2026-0000123.
reference-prompt-voice = Enter the reference, the year then the number, then press hash.
reference-unknown = We found no case with this reference.
status-line = Case { $reference } about "{ $service }": { $status }.
status-line-voice = Case number { $digits } about { $service }: { $status }.
status-new = received, waiting for review
status-acknowledged = under review
status-assigned = assigned to the team responsible
status-in_progress = being worked on
status-waiting_on_reporter = waiting for information from you
status-transferred = transferred to the entity responsible
status-resolved = resolved
status-closed = closed
status-rejected = declined by the entity
status-merged = joined to another report of the same problem

faq-prompt = Common questions.
faq-hours = When will I get an answer?
faq-hours-answer = Most reports are handled within a few working days; every service states its time, and you get a message at every change.
faq-follow = How do I follow my report?
faq-follow-answer = By its reference from this menu, by the link we sent you, or on our website.
faq-emergency = Can I report an emergency here?
faq-emergency-answer = No. In an emergency call 999 at once.

invalid-choice = Sorry, that is not one of the choices.
silence = We did not get your choice.
offer-person = Would you like to speak to one of our staff?
offer-yes = yes, put me through to a person
offer-no = no, I will try again

handover = We are putting you through to one of our staff, please hold.
handover-text = One of our staff will answer you here shortly.
goodbye = Thank you for contacting us. Goodbye.
goodbye-no-input = We did not hear from you, so we are ending the conversation now. You are welcome to contact us any time.

# The call-back: a call placed to the reporter of a phone case when staff change it.
callback-hello = Hello, this is the Tawasul centre calling about your case about { $service }.
callback-status = Its status is now: { $status }.
callback-menu = To hear your reference, press 1. To speak to a person, press 2.
# A reference read out: the year's digits, a pause, the number's digits.
reference-digits = { $year }, { $number }
callback-reference = Your reference is: { $digits }. Again: { $digits }.
callback-goodbye = We did not get your choice. Thank you, goodbye.

# The closure survey by keys, on the call-back of a resolution.
survey-solved = Is the problem really solved? For yes, press 1. For no, press 2.
survey-quality = How well was your case closed? Press a number from 1, very poor, to 5, excellent.
survey-speed = How fast was it handled? Press a number from 1, very slow, to 5, very fast.
survey-agent = How do you rate the staff who handled it? Press a number from 1 to 5.
survey-thanks = Thank you, your answer is recorded.
survey-reopened = We are sorry. Your case has been reopened and will be looked at again.

# The agent's rating, after a call a person served.
rate-agent = Please rate the staff member who served you: press a number from 1, very poor, to 5, excellent.
rate-answer = And how do you rate the answer you received? Press a number from 1 to 5.
rate-thanks = Thank you for your rating. Goodbye.

# The agent's rating in writing (SMS, WhatsApp, social media), after a conversation a person
# served: the first question went as a notification; these follow the resident's answers.
rating-agent-prompt = How would you rate the agent who served you? Send a number from 1 (very poor) to 5 (excellent).
rating-answer-prompt = And how do you rate the answer you received? Send a number from 1 to 5.
rating-score-1 = Very poor
rating-score-2 = Poor
rating-score-3 = Fair
rating-score-4 = Good
rating-score-5 = Excellent
rating-already = You have rated this conversation already, thank you.
rating-dropped = That is fine, we will not ask you for a rating again. You are welcome to contact us any time.
