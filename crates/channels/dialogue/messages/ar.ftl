# The guided dialogue of the phone line, SMS, WhatsApp, chat and social media, in Arabic.
# A language is a file: the engine offers every language that has one.
# Lines ending in -voice are spoken (the phone line); the others are written.

language-name = العربية
language-prompt = اختر اللغة
language-option-voice = للعربية اضغط { $key }.
language-option-text = { $key }. العربية

option-voice = لـ{ $label } اضغط { $key }.
option-text = { $key }. { $label }
navigation-voice = للعودة اضغط النجمة، وللإعادة اضغط 9، وللتحدث إلى موظف اضغط 0.
navigation-text = أرسل «رجوع» للعودة، أو «إعادة» للإعادة، أو 0 للتحدث إلى موظف.

# Words a resident may type instead of a key, separated by commas.
command-back = رجوع, ارجع, السابق, عودة
command-repeat = إعادة, اعادة, كرر, أعد
command-person = موظف, إنسان, شخص, وكيل
command-skip = تخطي, تخطى, لا يوجد
command-yes = نعم, أجل, تأكيد

welcome = أهلاً بك في مركز تواصل للبلاغات والمقترحات.
menu-prompt = كيف نخدمك؟
menu-new = تقديم بلاغ أو شكوى أو اقتراح جديد
menu-status = الاستعلام عن بلاغ برقمه
menu-person = التحدث إلى موظف
menu-faq = الأسئلة الشائعة

kind-prompt = ما الذي تود تقديمه؟
kind-complaint = شكوى
kind-suggestion = اقتراح
kind-inquiry = استفسار
kind-report = بلاغ عن مشكلة
kind-compliment = شكر وإشادة

service-prompt = اختر الخدمة.
service-words = وصف الموضوع بكلماتك
service-more = خدمات أخرى
words-prompt = صف الموضوع في كلمات قليلة، مثل: تسرب مياه، أو إنارة شارع.
words-no-match = لم نجد خدمة تطابق ما ذكرت.
pick-prompt = هل تقصد إحدى هذه الخدمات؟
pick-none = لا شيء مما سبق

field-text = { $label }: اكتب إجابتك.
field-text-voice = { $label }: أدخل الرقم ثم اضغط المربع.
field-number = { $label }: أدخل رقماً.
field-number-voice = { $label }: أدخل الرقم ثم اضغط المربع.
field-date = { $label }: اكتب التاريخ يوماً فشهراً فسنة، مثل 05-12-2026، أو أرسل 1 لتاريخ اليوم.
field-date-voice = { $label }: أدخل التاريخ ثمانية أرقام، اليوم فالشهر فالسنة، ثم اضغط المربع، أو اضغط 1 لتاريخ اليوم.
field-choice = { $label }:
field-invalid = هذه الإجابة لا تصلح هنا.

describe-prompt = صف المشكلة بالتفصيل: ما هي، ومنذ متى، وأين بالضبط.
describe-prompt-voice = بعد سماع الصافرة صف المشكلة بصوتك، ثم اضغط المربع.
describe-too-short = نحتاج وصفاً أطول قليلاً لنفهم المشكلة.
recorded-description = تسجيل صوتي من المتصل مرفق بالبلاغ.
media-received = وصلت صورتك، وستُرفق بالطلب.

location-prompt = أرسل موقعك، أو اكتب العنوان، أو أرسل 1 للتخطي.
location-prompt-voice = قل العنوان بعد الصافرة، أو اضغط 1 للتخطي.

confirm-summary = { $kind } عن «{ $service }»: { $description }
confirm-prompt = هل نرسل ما سبق؟
confirm-send = نعم، أرسل
confirm-restart = ابدأ من جديد

submitted = سُجّل طلبك برقم { $reference }. احتفظ بهذا الرقم لمتابعته، وسنبلغك بكل جديد.
submitted-voice = سُجّل طلبك. رقم الطلب هو: { $digits }. أكرر: { $digits }.
submit-refused = تعذر تسجيل الطلب: { $reason }

# Public replies under a post on social media: everyone reads them, so they carry the
# reference only, never the author's name nor what the case is about.
post-case = شكراً لك. سُجّل بلاغك برقم { $reference }، وسنتابع معك برسالة خاصة.
post-joined = شكراً لك. أُضيف تعليقك إلى البلاغ رقم { $reference }.

reference-prompt = اكتب رقم البلاغ، مثل TW-2026-0000123.
reference-prompt-voice = أدخل رقم البلاغ، السنة ثم الرقم، ثم اضغط المربع.
reference-unknown = لم نجد بلاغاً بهذا الرقم.
status-line = البلاغ { $reference } عن «{ $service }»: { $status }.
status-line-voice = البلاغ رقم { $digits } عن { $service }: { $status }.
status-new = استُلم وينتظر المراجعة
status-acknowledged = قيد المراجعة
status-assigned = أسند إلى المختص
status-in_progress = قيد المعالجة
status-waiting_on_reporter = ينتظر معلومات منك
status-transferred = حُوّل إلى الجهة المختصة
status-resolved = عولج
status-closed = أُغلق
status-rejected = اعتذرت الجهة عن معالجته
status-merged = ضُمّ إلى بلاغ آخر عن المشكلة نفسها

faq-prompt = الأسئلة الشائعة.
faq-hours = متى أتلقى رداً؟
faq-hours-answer = تعالج أغلب البلاغات خلال أيام عمل قليلة، ولكل خدمة مدة معلنة، وتصلك رسالة مع كل تغيير.
faq-follow = كيف أتابع بلاغي؟
faq-follow-answer = برقم البلاغ من هذه القائمة، أو من الرابط الذي أرسلناه إليك، أو من موقعنا.
faq-emergency = هل أبلغ هنا عن حالة طارئة؟
faq-emergency-answer = لا. في حالات الطوارئ اتصل بالرقم 999 فوراً.

invalid-choice = عذراً، هذا ليس من الخيارات.
silence = لم يصلنا اختيارك.
offer-person = هل تود التحدث إلى أحد موظفينا؟
offer-yes = نعم، حولني إلى موظف
offer-no = لا، سأحاول مرة أخرى

handover = سنحولك الآن إلى أحد موظفينا، يرجى الانتظار.
handover-text = سيتواصل معك أحد موظفينا هنا في أقرب وقت.
goodbye = شكراً لتواصلك معنا. مع السلامة.
goodbye-no-input = لم يصلنا ردك، لذا سننهي المحادثة الآن. يسعدنا تواصلك في أي وقت.

# الاتصال الراجع: مكالمة إلى مقدّم بلاغ هاتفي حين يغيّر الموظفون حالته.
callback-hello = مرحباً، معك مركز تواصل بخصوص بلاغك عن { $service }.
callback-status = حالته الآن: { $status }.
callback-menu = لسماع الرقم المرجعي اضغط 1. للتحدث إلى موظف اضغط 2.
# رقم البلاغ مقروءًا: أرقام السنة، ثم وقفة، ثم أرقام البلاغ.
reference-digits = { $year }، { $number }
callback-reference = الرقم المرجعي لبلاغك هو: { $digits }. مرة أخرى: { $digits }.
callback-goodbye = لم يصلنا اختيارك. شكراً لك، مع السلامة.

# استبيان الإغلاق بالأزرار، في الاتصال الراجع بعد الحل.
survey-solved = هل حُلّت المشكلة فعلاً؟ للإجابة بنعم اضغط 1، وبلا اضغط 2.
survey-quality = ما تقييمك لجودة إغلاق بلاغك؟ اضغط رقماً من 1، ضعيف جداً، إلى 5، ممتاز.
survey-speed = ما تقييمك لسرعة معالجته؟ اضغط رقماً من 1، بطيء جداً، إلى 5، سريع جداً.
survey-agent = ما تقييمك للموظف الذي عالجه؟ اضغط رقماً من 1 إلى 5.
survey-thanks = شكراً لك، سُجّلت إجابتك.
survey-reopened = نأسف لذلك. أُعيد فتح بلاغك وسيُنظر فيه من جديد.

# تقييم الموظف بعد مكالمة خدمك فيها.
rate-agent = يرجى تقييم الموظف الذي خدمك: اضغط رقماً من 1، ضعيف جداً، إلى 5، ممتاز.
rate-answer = وما تقييمك للإجابة التي تلقيتها؟ اضغط رقماً من 1 إلى 5.
rate-thanks = شكراً لتقييمك. مع السلامة.

# The agent's rating in writing (SMS, WhatsApp, social media), after a conversation a person
# served: the first question went as a notification; these follow the resident's answers.
rating-agent-prompt = كيف تقيّم الموظف الذي خدمك؟ أرسل رقمًا من 1 (ضعيف جدًا) إلى 5 (ممتاز).
rating-answer-prompt = وما تقييمك للإجابة التي تلقيتها؟ أرسل رقمًا من 1 إلى 5.
rating-score-1 = ضعيف جدًا
rating-score-2 = ضعيف
rating-score-3 = مقبول
rating-score-4 = جيد
rating-score-5 = ممتاز
rating-already = سبق أن قيّمت هذه المحادثة، شكرًا لك.
rating-dropped = لا بأس، لن نسألك عن التقييم مرة أخرى. يسعدنا تواصلك في أي وقت.
