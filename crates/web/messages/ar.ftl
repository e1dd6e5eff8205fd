# العربية. كل معرّف في en.ftl يجب أن يوجد هنا (يتحقق منه اختبار).
language-name = العربية
site-name = تواصل
skip-to-content = انتقل إلى المحتوى
language-switch = اللغة
nav-label = القائمة الرئيسية
nav-new = تواصل معنا
nav-track = متابعة بلاغ
nav-my-cases = بلاغاتي
footer-text = تواصل — الجهات الحكومية تستمع إلى السكان. تُستخدم بياناتك الشخصية للرد عليك فقط.

error-title = تعذّر عرض هذه الصفحة
error-status = خطأ { $status }
error-home = العودة إلى البداية
error-csrf = انتهت صلاحية هذا النموذج أو لم يُرسل من هذا الموقع. ارجع وأعد تحميل الصفحة ثم أرسله مرة أخرى.
error-not-found = لم نجد هذه الصفحة أو هذا البلاغ. تحقّق من الرابط أو الرقم المرجعي.
error-forbidden = لا يحق لك القيام بهذا الإجراء.
error-bad-request = تعذّرت قراءة الطلب. ارجع وحاول مرة أخرى.
error-too-large = الملفات كبيرة جدًا. الحد الأقصى ١٠ ميغابايت للملف، و٥ ملفات في المرة الواحدة.
error-conflict = تغيّر البلاغ في الأثناء، أو لا يناسب هذا الإجراء حالته. أعد تحميل الصفحة.
error-too-many = محاولات كثيرة. انتظر قليلًا ثم حاول مرة أخرى.
error-unavailable = الخدمة مشغولة أو يُعاد تشغيلها. حاول بعد دقيقة.
error-storage-full = لا مساحة لحفظ الملفات الآن، ولم يُحفظ شيء من بلاغك. حاول بعد قليل.
error-unexpected = حدث خطأ من جهتنا. بياناتك محفوظة؛ حاول مرة أخرى.

home-title = ماذا تريد أن تخبرنا؟
home-lead = شكوى أو اقتراح أو استفسار أو بلاغ عن مشكلة أو شكر: اختر الخدمة واكتب بكلماتك.
home-search-label = ابحث في الخدمات
home-search-placeholder = مثلًا: إنارة الشوارع، تسرب مياه، النظافة
home-search-button = بحث
home-kinds-title = ما نوع رسالتك؟
home-services-title = الخدمات
home-results-title = الخدمات المطابقة لـ «{ $query }»
home-no-results = لم تطابق أي خدمة. جرّب كلمات أخرى، أو اختر خدمة من القائمة دون بحث.
home-track-title = تواصلت معنا من قبل؟
home-track-text = تابع بلاغك بالرابط الخاص الذي وصلك، أو برقم هاتفك أو بريدك الإلكتروني.

kind-complaint = شكوى
kind-suggestion = اقتراح
kind-inquiry = استفسار
kind-report = بلاغ عن مشكلة
kind-compliment = شكر وإشادة
kind-escalation = تصعيد
kind-hint-complaint = خلل في خدمة قُدّمت لك
kind-hint-suggestion = فكرة لتحسين العمل
kind-hint-inquiry = سؤال توجّهه إلينا
kind-hint-report = مشكلة في شارع أو مكان
kind-hint-compliment = اشكر فريقًا أو موظفًا

form-has-errors = يرجى تصحيح الحقول المشار إليها
form-kind = ما نوع رسالتك؟
form-description = صف ما حدث
form-required = (مطلوب)
form-description-hint = ماذا حدث، وأين، ومنذ متى. لا تكتب كلمات مرور أو أرقام بطاقات.
form-range = بين
form-photos = الصور (اختياري)
form-photos-hint = حتى { $count } صور أو ملفات PDF، بحد أقصى ١٠ ميغابايت لكل ملف.
form-location = أين المكان؟
form-location-hint = حدّد المكان على الخريطة، أو استخدم موقعك، أو اكتب العنوان.
form-use-my-location = استخدم موقعي
form-map-label = الخريطة: اضغط لوضع العلامة
form-map-failed = تعذّر تحميل الخريطة. اكتب العنوان بدلًا منها.
form-lat = خط العرض
form-lon = خط الطول
form-address = العنوان أو أقرب معلم
form-contact = كيف نتواصل معك؟
form-contact-hint = اختياري. يمكنك متابعة البلاغ دون بيانات تواصل عبر الرابط الخاص الذي يصلك بعد الإرسال.
form-anonymous = إرسال دون ذكر اسمي
form-name = الاسم
form-phone = رقم الجوال
form-email = البريد الإلكتروني
form-submit = إرسال

invalid-required = هذا الحقل مطلوب.
invalid-too_long = النص أطول من المسموح.
invalid-invalid_type = القيمة ليست بالصيغة المتوقعة.
invalid-out_of_range = القيمة خارج النطاق المسموح.
invalid-forbidden_character = النص يحتوي على رموز غير مسموحة.
invalid-invalid_phone = أدخل رقم جوال مثل ‎+973 3300 0000.
invalid-invalid_email = أدخل بريدًا إلكترونيًا مثل name@example.com.
invalid-kind_not_accepted = هذه الخدمة لا تستقبل هذا النوع من الرسائل.
invalid-unknown_kind = اختر نوع الرسالة.
invalid-unknown_option = اختر أحد الخيارات.
invalid-duplicate_option = تكرر اختيار أحد الخيارات.
invalid-incomplete_location = أدخل خطي العرض والطول معًا أو اتركهما فارغين.
invalid-file_too_large = أحد الملفات أكبر من ١٠ ميغابايت.
invalid-empty_file = أحد الملفات فارغ.
invalid-too_many_files = يمكن إرفاق 5 صور على الأكثر في المرة الواحدة. اختر الصور التي توضح المشكلة أكثر.
invalid-unsupported_file_type = نقبل الصور (JPEG وPNG وWebP) وملفات PDF فقط.
invalid-unsupported_image = لا نقبل صور HEIC لأننا لا نستطيع حذف موقعها منها: أرسل الصورة بصيغة JPEG أو PNG أو WebP.
invalid-image_too_large = إحدى الصور كبيرة جدًا (أكثر من ١٢٠٠٠ بكسل طولًا أو عرضًا).
invalid-unreadable_image = تعذّرت قراءة إحدى الصور؛ قد تكون تالفة.
invalid-content_mismatch = أحد الملفات ليس كما يدل اسمه.
invalid-invalid_code = الرمز غير صحيح أو مستخدم أو منتهي الصلاحية.
invalid-invalid_date = أدخل التاريخ بصيغة YYYY-MM-DD.
invalid-unknown_department = اختر قسمًا من أقسام هذه الجهة.
invalid-unknown_assignee = اختر موظفًا من هذه الجهة.
invalid-other = تحقّق من هذا الحقل.

submitted-title = شكرًا لك — وصلتنا رسالتك
submitted-reference = رقمك المرجعي:
submitted-keep-link = احتفظ بهذا الرابط الخاص لمتابعة بلاغك وإضافة الصور والرد علينا:
submitted-track = تابع بلاغي
submitted-private = من يملك هذا الرابط يستطيع رؤية البلاغ: لا تشاركه.

track-title = متابعة بلاغ
track-by-reference = بالرقم المرجعي ورمزه
track-reference = الرقم المرجعي
track-token = الرمز الخاص (من الرابط)
track-open = فتح
track-by-contact = برقم الجوال أو البريد الإلكتروني
track-by-contact-hint = نرسل رمزًا لمرة واحدة إلى الرقم أو العنوان الذي ذكرته في بلاغاتك.
track-contact = رقم الجوال أو البريد الإلكتروني
track-send-code = أرسل لي رمزًا
code-title = أدخل الرمز
code-sent = أرسلنا رمزًا من ستة أرقام إلى { $contact }. صالح لمدة ١٠ دقائق.
code-label = الرمز
code-verify = تأكيد
my-title = بلاغاتي
my-none = لا توجد بلاغات مرتبطة بهذا الرقم أو العنوان حتى الآن.
my-logout = تسجيل الخروج
track-resolution = ما الذي تم
track-timeline = سجل البلاغ
track-attachments = الصور والملفات
track-no-attachments = لا توجد صور أو ملفات بعد.
track-photo-alt = صورة { $name }
track-add-photos = أضف صورًا
track-upload = رفع
track-reply-title = رُدّ علينا
track-reply-label = رسالتك
track-reply-send = إرسال الرد

status-new = مستلم
status-acknowledged = تم الاطلاع
status-assigned = مُحال
status-in_progress = قيد المعالجة
status-waiting_on_reporter = بانتظار ردك
status-resolved = تمت المعالجة
status-closed = مغلق
status-rejected = مرفوض

event-received = تم الاستلام
event-routed = أُحيل إلى القسم المختص
event-reply = رد من الفريق
event-note = ملاحظة داخلية
event-reporter_comment = رسالتك
event-attachment = أُضيف ملف
event-acknowledge = تم الاطلاع
event-assign = أُحيل
event-start = بدأ العمل
event-wait_on_reporter = بانتظار ردك
event-resume = استُؤنف العمل
event-resolve = تمت المعالجة
event-close = أُغلق
event-reopen = أُعيد فتحه
event-reject = رُفض
event-survey = وصل تقييمك
event-social_comment = منشور على وسائل التواصل يذكر هذا البلاغ
actor-system = تواصل
actor-staff = الفريق
actor-reporter = أنت
actor-social = وسائل التواصل

staff-login-title = دخول الموظفين
staff-login-failed = اسم المستخدم أو كلمة المرور غير صحيحة.
staff-username = اسم المستخدم
staff-password = كلمة المرور
staff-login = دخول
staff-queues = قوائم العمل
staff-logout = خروج
role-admin = مدير النظام
role-supervisor = مشرف
role-agent = موظف مركز الاتصال
role-officer = موظف القسم
role-inspector = مفتش ميداني
role-liaison = منسق جهة شريكة
role-satisfaction = وحدة رضا المستفيدين
role-secretary = أمين المجلس
queue-mine = المُحالة إليّ
queue-department = قسمي
queue-all = جميع البلاغات
queue-empty = لا توجد بلاغات هنا.
filter-text = بحث
filter-status = الحالة
filter-any = الكل
filter-service = الخدمة
filter-channel = القناة
filter-from = من
filter-to = إلى
filter-apply = تصفية
filter-priority = الأولوية
filter-sla = زمن الخدمة
filter-sort = الترتيب
sort-newest = الأحدث أولًا
sort-oldest = الأقدم أولًا
sort-due = الأقرب استحقاقًا
sort-priority = الأكثر إلحاحًا
col-reference = الرقم المرجعي
col-status = الحالة
col-kind = النوع
col-summary = الملخص
col-department = القسم
col-assignee = المسؤول
col-priority = الأولوية
col-created = تاريخ الاستلام
pager = الصفحات
pager-first = الصفحة الأولى
pager-next = الصفحة التالية
priority-low = منخفضة
priority-normal = عادية
priority-high = عالية
priority-urgent = عاجلة
channel-web = الموقع
channel-api = واجهة برمجية
channel-phone = الهاتف
channel-email = البريد الإلكتروني
channel-sms = رسالة نصية
channel-whatsapp = واتساب
channel-chat = المحادثة
channel-walk_in = الحضور الشخصي
channel-social = وسائل التواصل
channel-open311 = Open311
channel-qr = رمز QR
staff-internal = داخلي
staff-comment-title = رد أو ملاحظة
staff-visibility = من يراه
staff-public-reply = رد على المستفيد
staff-internal-note = ملاحظة داخلية (للموظفين فقط)
staff-comment-label = النص
staff-comment-send = حفظ
staff-actions = الإجراءات
staff-no-actions = لا يوجد إجراء متاح لك على هذا البلاغ.
staff-resolution = ما الذي تم (يقرؤه المستفيد)
staff-reason = السبب (يقرؤه المستفيد)
action-acknowledge = تأكيد الاطلاع
action-assign = إحالة
action-start = بدء العمل
action-wait_on_reporter = انتظار رد المستفيد
action-resume = استئناف
action-resolve = إنهاء المعالجة
action-close = إغلاق
action-reopen = إعادة فتح
action-reject = رفض
staff-transcript = نص المحادثة
staff-transcript-resident = المواطن
staff-transcript-service = الخدمة
staff-details = التفاصيل
staff-reporter = مقدم البلاغ
staff-masked = بيانات التواصل مخفية لدورك.
staff-anonymous = دون اسم

gregorian-month-1 = يناير
gregorian-month-2 = فبراير
gregorian-month-3 = مارس
gregorian-month-4 = أبريل
gregorian-month-5 = مايو
gregorian-month-6 = يونيو
gregorian-month-7 = يوليو
gregorian-month-8 = أغسطس
gregorian-month-9 = سبتمبر
gregorian-month-10 = أكتوبر
gregorian-month-11 = نوفمبر
gregorian-month-12 = ديسمبر
hijri-month-1 = محرم
hijri-month-2 = صفر
hijri-month-3 = ربيع الأول
hijri-month-4 = ربيع الآخر
hijri-month-5 = جمادى الأولى
hijri-month-6 = جمادى الآخرة
hijri-month-7 = رجب
hijri-month-8 = شعبان
hijri-month-9 = رمضان
hijri-month-10 = شوال
hijri-month-11 = ذو القعدة
hijri-month-12 = ذو الحجة
hijri-era = هـ

survey-title = ما تقييمك لخدمتنا؟
survey-hint = يصل تقييمك إلى الفريق وإلى الوحدة المعنية برضا المستفيدين.
survey-quality = جودة الحل
survey-speed = سرعة الإنجاز
survey-agent = الموظف الذي تولّى البلاغ
survey-comment = هل من ملاحظة أخرى؟ (اختياري)
survey-send = أرسل تقييمي
survey-thanks = شكرًا لتقييمك
survey-low = تقييم منخفض
score-5 = ٥ — ممتاز
score-4 = ٤ — جيد
score-3 = ٣ — مقبول
score-2 = ٢ — ضعيف
score-1 = ١ — ضعيف جدًا

reply-templates = ردود جاهزة (بلغة المستفيد)
reply-resident = المستفيد الكريم

# Workflow: transfers, SLA badges, queues of the workflow engine.
status-transferred = محوّل إلى جهة أخرى
queue-triage = الفرز
queue-transferred = المحوّلة إلينا
queue-followed = المحوّلة منا
queue-escalated = المُصعَّدة
col-sla = مهلة الخدمة
sla-on_track = ضمن المهلة
sla-due_soon = تقترب المهلة
sla-overdue = تجاوز المهلة
sla-paused = متوقفة بانتظار المواطن
sla-stopped = منتهية
sla-none = بلا مهلة
sla-due-by = حتى { $due }
sla-due-now = مستحق الآن
sla-left-minutes = { $n ->
    [one] تبقّت دقيقة واحدة
    [two] تبقّت دقيقتان
    [few] تبقّت { $n } دقائق
   *[other] تبقّت { $n } دقيقة
}
sla-left-hours = { $n ->
    [one] تبقّت ساعة واحدة
    [two] تبقّت ساعتان
    [few] تبقّت { $n } ساعات
   *[other] تبقّت { $n } ساعة
}
sla-left-days = { $n ->
    [one] تبقّى يوم واحد
    [two] تبقّى يومان
    [few] تبقّى { $n } أيام
    [many] تبقّى { $n } يومًا
   *[other] تبقّى { $n } يوم
}
sla-late-minutes = { $n ->
    [one] متأخر دقيقة واحدة
    [two] متأخر دقيقتين
    [few] متأخر { $n } دقائق
   *[other] متأخر { $n } دقيقة
}
sla-late-hours = { $n ->
    [one] متأخر ساعة واحدة
    [two] متأخر ساعتين
    [few] متأخر { $n } ساعات
   *[other] متأخر { $n } ساعة
}
sla-late-days = { $n ->
    [one] متأخر يومًا واحدًا
    [two] متأخر يومين
    [few] متأخر { $n } أيام
    [many] متأخر { $n } يومًا
   *[other] متأخر { $n } يوم
}

ignored-title = لم يصلني رد؟
ignored-explain = تجاوز بلاغك مهلته أو لم يصلك عنه جديد منذ مدة. يمكنك رفع شكوى إلى وحدة رضا المستفيدين، وستتابعها برقم مرجعي جديد.
ignored-label = ما الذي تود أن تعرفه وحدة رضا المستفيدين؟
ignored-send = أرسل الشكوى
ignored-open = شكواك قيد المتابعة برقم { $reference }.
ignored-from = يمكنك رفع شكوى بعدم الرد ابتداءً من { $date }.
event-transferred = حُوّل إلى جهة أخرى
event-transfer_accepted = قبلته الجهة المحوَّل إليها
event-escalated = صُعِّد لتأخره
event-ignored_complaint = شكوى بعدم الرد
event-callback_placed = أُجري اتصال راجع
event-callback_answered = رُدّ على الاتصال الراجع
event-callback_no_answer = لم يُردّ على الاتصال الراجع
event-callback_gave_up = توقفت محاولات الاتصال الراجع
event-delivery_refused = رفض المزوّد الرسالة (لم تُسلَّم)

transfer-title = تحويل البلاغ
transfer-to = إلى
transfer-reason = سبب التحويل
transfer-send = حوّل
transfer-incoming = بلاغ محوّل إلى جهتكم
transfer-accept-department = القسم الذي يتولاه
transfer-triage = الفرز
transfer-accept = اقبل البلاغ
transfer-return-reason = سبب الإعادة
transfer-return = أعده إلى الجهة المحوِّلة

# Live updates (assets/app.js)
live-case-changed = تغيّرت هذه الحالة للتو، وما تراه محدَّث.
live-queue-changed = تغيّرت هذه القائمة للتو، وما تراه محدَّث.
live-reload = أعد تحميل الصفحة
# The admin console: organisation (entities, departments, calendars, users).
admin-title = الإدارة
admin-sections = أقسام الإدارة
admin-home = البداية
admin-lead = إدارة الجهات وأقسامها وتقاويم عملها وموظفيها، والخدمات ونماذجها، وأهداف زمن الخدمة، والردود الجاهزة.
admin-entities = الجهات
admin-departments = الأقسام
admin-calendar = التقويم والسياسة
admin-users = المستخدمون والأدوار
admin-no-entities = لا توجد جهات لإدارتها بعد.
admin-no-departments = لا أقسام لهذه الجهة بعد.
admin-no-staff = لا مستخدمين لهذه الجهة بعد.
admin-code = الرمز
admin-name = الاسم
admin-name-ar = الاسم بالعربية
admin-name-en = الاسم بالإنجليزية
admin-entity-type = النوع
admin-entity-names = الأسماء والنوع
admin-add = أضف
admin-save = احفظ
admin-rename = غيّر الاسم
admin-saved = حُفظ التغيير.
admin-none = لا شيء
admin-remove = احذف
admin-add-entity = أضف جهة
admin-add-department = أضف قسمًا
admin-hours = ساعات العمل
admin-time-zone = المنطقة الزمنية
admin-time-zone-hint = منطقة زمنية من قاعدة IANA مثل Asia/Bahrain أو Asia/Riyadh.
admin-working-days = أيام العمل
admin-opens = يبدأ الدوام
admin-closes = ينتهي الدوام
admin-holidays = العطل
admin-holiday-n = العطلة { $n }
admin-holiday-name = اسم العطلة
admin-from = من
admin-to = إلى
admin-rows-hint = املأ صفًا فارغًا للإضافة، وعلّم «احذف» للحذف.
admin-overrides = ساعات أخرى (مثل رمضان)
admin-override-n = الفترة { $n }
admin-override-name = اسم الفترة
admin-overrides-hint = ساعات دوام أخرى في أيام العمل خلال فترة. املأ صفًا فارغًا للإضافة.
admin-policy = السياسة
admin-ignored-after-days = أيام العمل دون تحديث قبل اعتبار البلاغ مُهمَلًا
admin-satisfaction-department = قسم رضا المستفيدين
admin-escalation = سلّم التصعيد
admin-escalation-hint = تُتّخذ كل خطوة بعد نسبة من الوقت المستهدف، بنسب متصاعدة.
admin-step-n = الخطوة { $n }
admin-step-percent = النسبة المئوية من الوقت المستهدف
admin-step-notify = من يُبلَّغ
admin-add-user = أضف مستخدمًا
admin-display-name = الاسم
admin-email = البريد الإلكتروني
admin-role = الدور
admin-state = الحالة
admin-active = فعّال
admin-inactive = معطَّل
admin-initial-password = كلمة المرور الأولى (١٠ أحرف على الأقل)
admin-new-password = كلمة المرور الجديدة (١٠ أحرف على الأقل)
admin-change-user = البيانات والدور
admin-deactivate = عطّل الحساب
admin-deactivate-hint = لا يستطيع المستخدم المعطَّل تسجيل الدخول، وتنتهي جلساته المفتوحة.
admin-reactivate = أعد تفعيل الحساب
admin-reset-password = أعد تعيين كلمة المرور
admin-reset-password-hint = تنتهي جلسات المستخدم المفتوحة؛ سلّمه كلمة المرور الجديدة شخصيًا.
entity-type-governorate = محافظة
entity-type-municipality = بلدية
entity-type-ministry = وزارة
entity-type-authority = هيئة
weekday-sunday = الأحد
weekday-monday = الإثنين
weekday-tuesday = الثلاثاء
weekday-wednesday = الأربعاء
weekday-thursday = الخميس
weekday-friday = الجمعة
weekday-saturday = السبت
notify-assignee = الموظف المكلَّف
notify-supervisor = المشرف
notify-director = المدير
notify-satisfaction = وحدة رضا المستفيدين
notify-reporter = مقدّم البلاغ
invalid-invalid_identifier = استخدم من ٢ إلى ٣٢ حرفًا لاتينيًا صغيرًا أو رقمًا أو «-».
invalid-unknown_entity_type = اختر النوع.
invalid-unknown_role = اختر الدور.
invalid-unknown_entity = اختر الجهة.
invalid-duplicate = هذا مستخدم من قبل.
invalid-invalid_username = استخدم من ٣ إلى ٦٤ حرفًا لاتينيًا أو رقمًا أو «.» أو «_» أو «-».
invalid-weak_password = استخدم ١٠ أحرف على الأقل.
invalid-own_admin_role = لا يمكنك إزالة دور المدير عن نفسك.
invalid-own_account = لا يمكنك تعطيل حسابك.
invalid-unknown_time_zone = أدخل منطقة زمنية مثل Asia/Bahrain.
invalid-unknown_weekday = اختر من أيام الأسبوع.
invalid-duplicate_weekday = تكرر اختيار يوم.
invalid-no_working_day = اختر يوم عمل واحدًا على الأقل.
invalid-invalid_time = أدخل الوقت بصيغة HH:MM.
invalid-closes_before_opens = يجب أن ينتهي الدوام بعد بدئه.
invalid-invalid_range = النهاية قبل البداية.
invalid-range_too_long = لا تزيد الفترة على ٦٢ يومًا.
invalid-overlapping_override = هذه الفترة تتداخل مع أخرى.
invalid-too_many = العدد أكبر من المسموح.
## supervisor: merging duplicates and the supervisor's board
status-merged = مدموج في بلاغ آخر
event-merged = ضُمّ إلى بلاغ آخر
event-merged_in = ضُمّ إلى هذا البلاغ بلاغ مكرر
track-merged = ضُمّ هذا البلاغ إلى البلاغ رقم { $reference } وهو قيد المعالجة، وما يُتخذ بشأنه يشمل بلاغكم أيضًا.
merge-title = دمج في بلاغ آخر
merge-hint = للبلاغ المكرر: ينتهي هذا البلاغ هنا، ويُبلَّغ صاحبه بمتابعة البلاغ الذي يبقى.
merge-into = رقم البلاغ الذي يبقى
merge-reason = سبب اعتبارهما موضوعًا واحدًا
merge-send = دمج
merge-merged-into = مدموج في البلاغ { $reference }
merge-unknown-target = لا يوجد بلاغ بهذا الرقم في جهتكم.
merge-not-mergeable = لا يمكن دمج هذين البلاغين: يجب أن يكونا بلاغين مفتوحين للجهة نفسها، غير مدموجين من قبل وغير بانتظار قرار تحويل.
invalid-invalid_reference = أدخلوا رقم بلاغ مثل TW-2026-0000123.
invalid-same_case = لا يمكن دمج البلاغ في نفسه.
invalid-too_many_cases = اختر 200 بلاغ على الأكثر في المرة الواحدة.
nav-board = لوحة المشرف
board-title = التجاوزات والتصعيدات
board-lead = البلاغات المفتوحة في جهتكم المتأخرة أو المستحقة خلال يوم عمل أو المصعّدة، وشكاوى تجاهل البلاغات المفتوحة؛ الأقدم تجاوزًا أولًا.
board-counts = حسب القسم
board-no-department = بلا قسم بعد
board-cases = البلاغات
board-narrowed = بلاغات { $department } وحدها.
board-all-departments = اعرض كل الأقسام
board-select = اختيار { $reference }
board-empty = لا يوجد بلاغ مفتوح متأخر أو مستحق قريبًا أو مصعّد.
board-truncated = البلاغات التي تحتاج إلى متابعة أكثر مما تعرضه اللوحة دفعة واحدة؛ ابدؤوا بهذه.
col-overdue = متأخرة
col-due-soon = مستحقة قريبًا
col-escalated = مصعّدة
col-ignored = شكاوى التجاهل
col-total = البلاغات
col-escalation-level = مستوى التصعيد
board-reassign-title = إعادة إسناد البلاغات المختارة
board-reassign-hint = اختاروا قسمًا أو موظفًا أو كليهما؛ 200 بلاغ على الأكثر في المرة الواحدة. يُعاد إسناد كل بلاغ كما لو كان من صفحته.
board-reassign-send = إعادة الإسناد
board-result-title = نتيجة إعادة الإسناد
board-reassigned = أُعيد إسنادها
board-unchanged = كانت في موضعها، فبقيت كما هي
board-refused = لم يُعد إسنادها
board-refusal-not_found = ليس بلاغًا من بلاغات جهتكم
board-refusal-forbidden = لا تملكون صلاحية إعادة إسناده
board-refusal-invalid_transition = حالته لا تسمح بإعادة الإسناد
board-refusal-conflict = تغيّر في الأثناء؛ حاولوا مجددًا
admin-entity = الجهة
admin-show = عرض
admin-edit = تعديل
admin-delete = حذف
admin-invalid-key = استخدم من 2 إلى 64 حرفًا: a–z و0–9 و«-».
admin-sla-title = مستويات الخدمة
admin-sla-hint = ساعات العمل حتى أول رد وحتى الحل، لكل خدمة وأولوية. الخدمة التي ليس لها هدف خاص تتبع هدف الجهة، والجهة تتبع هدف المنصة.
admin-sla-caption = أول رد / الحل، بساعات العمل
admin-sla-service = الخدمة
admin-sla-default = الافتراضي للجهة
admin-sla-inherited = موروث
admin-sla-first-response = أول رد (ساعات عمل)
admin-sla-resolution = الحل (ساعات عمل)
admin-templates-title = الردود الجاهزة
admin-templates-hint = يبدأ الموظفون ردهم من هذه النصوص في صفحة البلاغ، بلغة المستفيد. لكل مفتاح نص واحد في كل لغة.
admin-templates-none = لا توجد ردود جاهزة بعد.
admin-template-add = إضافة رد جاهز
admin-template-key = المفتاح (نفسه في كل لغة)
admin-template-language = اللغة
admin-template-title = العنوان
admin-template-body = النص
admin-template-placeholders = يمكن أن يحتوي النص على:
invalid-unknown_placeholder = استخدم فقط {"{"}name{"}"} و{"{"}reference{"}"} و{"{"}service{"}"}، كلٌّ مغلق.
invalid-unknown_language = اختر إحدى اللغات.
admin-services-title = الخدمات ونماذجها
admin-services-none = لا تقدم هذه الجهة أي خدمة بعد.
admin-service-add = إضافة خدمة
admin-service-name = الخدمة
admin-service-code = الرمز
admin-service-code-locked = توجد بلاغات لهذه الخدمة، فيبقى رمزها كما هو.
admin-service-kinds = أنواع الرسائل التي تقبلها
admin-service-fields = الأسئلة
admin-service-state = الحالة
admin-service-on = متاحة
admin-service-off = غير متاحة
admin-service-active = متاحة للمستفيدين
admin-service-department = القسم الافتراضي
admin-service-no-department = لا شيء (تقرر قواعد التوجيه)
admin-service-priority = الأولوية الافتراضية
admin-description-ar = الوصف بالعربية
admin-description-en = الوصف بالإنجليزية
admin-fields-title = أسئلة النموذج
admin-fields-hint = تحتفظ البلاغات المستلمة بإجاباتها كما كانت مهما تغيّر النموذج.
admin-fields-none = لا تطرح هذه الخدمة أسئلة خاصة بها.
admin-field-add = إضافة سؤال
admin-field-key = المفتاح
admin-label-ar = السؤال بالعربية
admin-label-en = السؤال بالإنجليزية
admin-field-type = نوع الإجابة
admin-field-required = الإجابة مطلوبة
admin-field-min = أصغر رقم (للأرقام فقط)
admin-field-max = أكبر رقم (للأرقام فقط)
admin-field-choices = الخيارات (للاختيارات فقط)
admin-field-choices-hint = خيار في كل سطر: القيمة | التسمية بالعربية | التسمية بالإنجليزية
admin-field-up = نقل لأعلى
admin-field-down = نقل لأسفل
field-type-text = نص
field-type-number = رقم
field-type-date = تاريخ
field-type-single_choice = خيار واحد
field-type-multiple_choice = خيارات متعددة
invalid-invalid_key = استخدم من 1 إلى 40 حرفًا: a–z و0–9 و«_»، تبدأ بحرف.
invalid-duplicate_key = هذا المفتاح لسؤال آخر.
invalid-choices_required = الاختيار يحتاج إلى خيارات.
invalid-invalid_choices = اكتب كل خيار هكذا: القيمة | التسمية بالعربية | التسمية بالإنجليزية.
invalid-unexpected_options = الخيارات للاختيارات فقط.
invalid-unexpected_range = الحد الأدنى والأعلى للأرقام فقط.
invalid-unknown_field_type = اختر نوع الإجابة.
invalid-code_kept = توجد بلاغات لهذه الخدمة، فلا يمكن تغيير رمزها.

## نقاط الخدمة برمز QR
points-title = نقاط الخدمة
points-intro = أصول وأماكن (أعمدة الإنارة، الحدائق، مواقف الحافلات، مكاتب الخدمة) عليها رمز QR مطبوع. مسحه يفتح نموذج البلاغ وقد مُلئت فيه خدمة النقطة وموقعها.
points-none = لا توجد نقاط خدمة بعد.
points-code = الرمز
points-code-hint = اترك الرمز فارغًا ليُنشأ تلقائيًا، أو استخدم رقم الأصل نفسه (مثل sl-1042).
points-service = الخدمة
points-asset-kind = نوع الأصل
points-cases = البلاغات
points-qr = رمز QR
points-print-all = طباعة كل الرموز (ورقة PDF)
points-add = إضافة نقطة خدمة
points-import = استيراد نقاط من ملف CSV
points-import-csv = نص CSV (السطر الأول: أسماء الأعمدة)
points-import-hint = الصق الملف هنا. الأعمدة بأي ترتيب (يمكن ترك name_en وasset_kind وcode):
points-import-button = استيراد
point-reporting-at = أنت تبلغ عن
point-location-filled = موقعها مُدخل أدناه؛ غيّره إن كانت المشكلة في مكان آخر. النقطة:
filter-point = نقطة الخدمة
invalid-unknown_point = اختر نقطة خدمة.
invalid-unknown_service = اختر خدمة من خدمات هذه الجهة.
invalid-unknown_column = أحد الأعمدة ليس من الأعمدة المعروفة.
invalid-missing_column = عمود مطلوب غير موجود.
invalid-duplicate_column = عمود مذكور مرتين.
invalid-invalid_csv = الملف ليس بصيغة CSV صحيحة.
invalid-invalid_number = إحدى القيم ليست رقمًا.
invalid-invalid_encoding = الملف ليس نصًا بترميز UTF-8.
invalid-import_too_large = الملف كبير جدًا (2 ميغابايت على الأكثر).
invalid-too_many_rows = في الملف صفوف كثيرة جدًا (10,000 على الأكثر).
invalid-empty_import = لا توجد نقاط في الملف.
invalid-other_entity = أحد الصفوف يذكر جهة أخرى.
invalid-needs_platform_administrator = لا يغيّر مستوى الجهة إلا مدير المنصة.

# Second factor (staff)
second-factor-title = التحقق بخطوتين
nav-second-factor = التحقق بخطوتين
second-factor-ask = أدخل الرمز الذي يعرضه تطبيق المصادقة.
second-factor-required-now = تشترط جهتك التحقق بخطوتين: أضف هذا الحساب إلى تطبيق المصادقة، ثم أدخل الرمز الذي يعرضه.
second-factor-scan = امسح هذا الرمز بتطبيق المصادقة،
second-factor-qr = رمز QR للمفتاح السري
second-factor-type = أو اكتب هذا المفتاح:
second-factor-open-app = افتحه في تطبيق المصادقة على هذا الجهاز
second-factor-code = الرمز من التطبيق
second-factor-confirm = تأكيد
second-factor-done = تم إعداد التحقق بخطوتين: سيُطلب رمزه عند الدخول.
second-factor-enrolled = يدخل هذا الحساب بكلمة المرور ورمز تطبيق المصادقة. إن فُقد الهاتف فبإمكان مدير المنصة إعادة ضبطه.
invalid-wrong_code = الرمز غير صحيح، أو سبق استخدامه.
invalid-not_enrolled = أعدّ تطبيق المصادقة أولاً.
admin-second-factor = التحقق بخطوتين
admin-second-factor-reset = إعادة ضبط التحقق بخطوتين
admin-second-factor-reset-help = عند فقدان الهاتف: يدخل المستخدم بكلمة المرور وحدها، أو يعدّ تطبيقاً جديداً عند دخوله التالي إن كانت جهته تشترطه.
calendar-second-factor = يدخل المديرون والمشرفون بالتحقق بخطوتين (رمز من تطبيق المصادقة)

# The live chat (resident and staff sides).
nav-chat = المحادثة المباشرة
chat-title = المحادثة المباشرة
chat-lines = الرسائل
chat-hint = يجيبك المساعد الآلي أولاً، ويمكنك طلب موظف في أي وقت.
chat-you = أنت
chat-them = تواصل
chat-typing = يكتب الآن…
chat-waiting = طلبك في قائمة الانتظار، وسيجيبك أول موظف متاح.
chat-with-agent = يحادثك الآن أحد موظفينا.
chat-message = رسالتك
chat-start = ابدأ محادثة
chat-send = أرسل
chat-rate-title = قيّم المحادثة
chat-rate-agent = الموظف الذي خدمك (5 الأفضل)
chat-rate-answer = الإجابة التي حصلت عليها (5 الأفضل)
chat-rate-send = أرسل التقييم
staff-chats = المحادثات
staff-chats-title = المحادثات المباشرة
staff-chats-empty = لا محادثات تنتظر.
staff-chats-waiting = تنتظر منذ
staff-chats-channel = القناة
staff-chats-agent = مع
staff-chats-last = آخر ما كتب المواطن
staff-chats-pick = استلم
staff-chats-open = افتح
staff-chat-title = محادثة مع مواطن
staff-chat-send = أرسل
staff-chat-message = ردك
staff-chat-case = سجّل بلاغاً من المحادثة
staff-chat-make-case = سجّل البلاغ
staff-chat-end = أنهِ المحادثة
staff-chat-over = انتهت المحادثة.

## لوحة الأداء
nav-dashboard = لوحة الأداء
dash-title = لوحة الأداء
dash-lead = أرقام البلاغات الواردة في الفترة، مقارنة بمستهدفات الجهة.
dash-updated = حُدّثت { $at }.
dash-entity = الجهة
dash-all-entities = كل الجهات
dash-from = من
dash-to = إلى
dash-group-by = التفصيل حسب
dash-show = اعرض
dash-headline = الأرقام الرئيسة
dash-target = المستهدف
dash-target-is = المستهدف: { $target }
dash-compliance = ضمن المستهدف
dash-trend = البلاغات الواردة عبر الزمن
dash-trend-summary = عدد البلاغات الواردة في كل جزء من الفترة.
dash-backlog-and-ratings = البلاغات المفتوحة والتقييمات
dash-backlog-summary = البلاغات المفتوحة حسب مدة بقائها مفتوحة.
dash-ratings-summary = عدد السكان الذين أعطوا كل درجة لجودة الإغلاق.
dash-top-summary = المجموعات التي وردها أكثر البلاغات في الفترة.
dash-groups-caption = الأرقام الرئيسة لكل مجموعة؛ يفتح الاسم بلاغاتها.
dash-map = البلاغات المفتوحة حسب المنطقة
dash-map-summary = كل منطقة ملوّنة بعدد بلاغاتها المفتوحة؛ الأغمق أكثر.
dash-data-table = الأرقام في جدول
dash-col-label = البند
dash-col-value = القيمة
dash-none = لا شيء
dash-stars = { $n } من 5
dash-percent = { $n }٪
dash-score = { $n } / 5
dash-minutes = { $n } دقيقة
dash-hours = { $n } ساعة
dash-days = { $n } يوم
dash-group-entity = الجهات
dash-group-department = الأقسام
dash-group-employee = الموظفون
dash-group-service = الخدمات
dash-group-channel = القنوات
dash-group-kind = الأنواع
dash-group-area = المناطق
dash-group-language = اللغات
language-of-ar = العربية
language-of-en = الإنجليزية
kpi-state-met = متحقق
kpi-state-at_risk = معرّض للخطر
kpi-state-missed = غير متحقق
kpi-volume = البلاغات الواردة
kpi-backlog = المفتوحة الآن
kpi-backlog_under_1d = أقل من يوم
kpi-backlog_1d_3d = من يوم إلى 3 أيام
kpi-backlog_3d_7d = من 3 إلى 7 أيام
kpi-backlog_7d_30d = من 7 إلى 30 يومًا
kpi-backlog_over_30d = أكثر من 30 يومًا
kpi-first_response_business_median = الاستجابة الأولى (الوسيط، وقت العمل)
kpi-resolution_business_median = المعالجة (الوسيط، وقت العمل)
kpi-within_sla_first_response = الاستجابة الأولى ضمن اتفاقية الخدمة
kpi-within_sla = المعالجة ضمن اتفاقية الخدمة
kpi-within_ola = ضمن اتفاقية التشغيل
kpi-confirmed_resolution_rate = أكد المواطن حل المشكلة
kpi-quality_mean = تقييم جودة الإغلاق
kpi-survey_response_rate = نسبة الرد على الاستبيان

## صفحة الشفافية
nav-open-figures = أرقامنا
open-title = كيف نستجيب للمواطنين
open-lead = أرقام كل جهة للبلاغات التي أرسلها المواطنون في الفترة: عددها، وسرعة الرد عليها ومعالجتها، ورأي المواطنين فيها.
open-by-entity = حسب الجهة
open-by-service = حسب الخدمة
open-service = الخدمة
open-within-summary = نسبة بلاغات كل جهة التي عولجت ضمن الوقت المستهدف.
open-top-services = الخدمات الأكثر استخدامًا
open-top-services-summary = الخدمات التي وردها أكثر البلاغات في الفترة.
open-map = البلاغات الواردة حسب المنطقة
open-map-summary = كل منطقة ملوّنة بعدد البلاغات الواردة منها؛ الأغمق أكثر. لا يُعرض أي بلاغ كنقطة.
open-too-few = أقل من 5
open-small-groups = لا تُعرض على حدة خدمةٌ أو منطقة وردها أقل من 5 بلاغات في الفترة، حتى لا يُعرف أي مواطن.
kpi-surveys = التقييمات الواردة

## لوحة الرقابة
nav-oversight = الرقابة
oversight-title = أداء كل الجهات
oversight-lead = كل الجهات على الأرقام والمستهدفات نفسها، مرتبة حسب نسبة ما حققته من مستهدفاتها في الفترة.
oversight-ranking = المستهدفات المتحققة
oversight-ranking-summary = نسبة ما حققته كل جهة من مستهدفاتها في الفترة، الأفضل أولًا.
oversight-side-by-side = جنبًا إلى جنب
oversight-caption = الأرقام الرئيسة لكل جهة مقارنة بمستهدفاتها؛ يفتح الاسم لوحتها.
oversight-rank = الترتيب
oversight-met = المستهدفات المتحققة
oversight-met-of = { $met }
oversight-alerts = إذا لم تحقق جهة مستهدفًا خلال شهر، يُبلَّغ مسؤولوها بالبريد الإلكتروني.
kpi-reopen_rate = أعيد فتحها
kpi-escalation_rate = صُعّدت
kpi-ignored = شكاوى التجاهل

## تقرير الأداء الشهري
nav-report = التقرير الشهري
report-title = تقرير الأداء الشهري، { $month }
report-caption = كل أرقام { $month } مقارنة بمستهدفاتها.
report-pdf = تنزيل بصيغة PDF
report-empty = لا أرقام لهذا الشهر.
report-kpi = المؤشر
report-value = المتحقق
report-state = الحالة
kpi-first_response_median = الاستجابة الأولى (الوسيط)
kpi-first_response_p90 = الاستجابة الأولى (المئين 90)
kpi-first_response_business_p90 = الاستجابة الأولى (المئين 90، وقت العمل)
kpi-resolution_median = المعالجة (الوسيط)
kpi-resolution_p90 = المعالجة (المئين 90)
kpi-resolution_business_p90 = المعالجة (المئين 90، وقت العمل)
kpi-closure_rate = أُغلقت
kpi-auto_closed = أُغلقت دون رد المواطن
kpi-auto_closed_rate = نسبة ما أُغلق دون رد المواطن
kpi-transfer_rate = أحيلت
kpi-speed_mean = تقييم السرعة
kpi-employee_mean = تقييم الموظف
kpi-agent_rating = تقييم موظف مركز الاتصال
kpi-agent_ratings = تقييمات موظفي مركز الاتصال
## Closure the resident confirms (issue 16)
survey-solved = هل حُلّت المشكلة فعلًا؟
survey-solved-yes = نعم، حُلّت
survey-solved-no = لا، لم تُحلّ
survey-link-hint = يُستخدم هذا الرابط مرة واحدة، وهو صالح حتى { $date }. إن لم تُحلّ المشكلة أعدنا فتح البلاغ.
survey-link-unknown = هذا الرابط غير صالح: ربما تغيّر بعض حروفه، أو حلّ محله رابط أحدث أُرسل إليكم مع آخر معالجة.
survey-link-used = سبق استخدام هذا الرابط، ولكل رابط إجابة واحدة. شكرًا لكم.
survey-link-expired = انتهت صلاحية هذا الرابط، وقد أُغلق البلاغ. يمكنكم متابعته من صفحة متابعة البلاغات.
survey-link-moved = لم يعد هذا البلاغ بانتظار إجابتكم: فقد أُعيد فتحه أو تغيّرت حالته.
survey-link-thanks-closed = شكرًا لكم، سُجّل تقييمكم وأُغلق البلاغ بعد تأكيدكم حلّ المشكلة.
survey-link-thanks-reopened = شكرًا لكم، سُجّل تقييمكم وأُعيد فتح البلاغ لمعالجته من جديد.
survey-link-track = متابعة بلاغاتي
closure-before-after = قبل وبعد
closure-before = قبل: صور البلاغ
closure-after = بعد: صورة الإصلاح
closure-before-alt = صورة البلاغ { $name }
closure-after-alt = صورة الإصلاح { $name }
closure-no-before = لم تُرفق صور مع البلاغ.
closure-note-auto = أُغلق تلقائيًا: لم يصل رد المبلّغ على الاستبيان في المدة المحددة.
closure-note-confirmed = أُغلق بعد أن أكّد المبلّغ حلّ المشكلة.
closure-note-not_solved = أُعيد فتحه: أفاد المبلّغ بأن المشكلة لم تُحلّ.
closure-note-low_score = أُعيد فتحه: قيّم المبلّغ المعالجة تقييمًا منخفضًا.
closure-note-not_solved_unit = أُحيل إلى وحدة رضا المستفيدين: أفاد المبلّغ بأن المشكلة لم تُحلّ.
closure-note-low_score_unit = أُحيل إلى وحدة رضا المستفيدين: قيّم المبلّغ المعالجة تقييمًا منخفضًا.
staff-fix-photo = صورة الإصلاح (اختيارية)
staff-fix-photo-required = صورة الإصلاح (مطلوبة لهذه الخدمة)
invalid-not_a_photo = يجب أن تكون صورة الإصلاح صورة بصيغة JPEG أو PNG أو WebP.
invalid-unexpected = لا يُقبل هذا الحقل مع هذا الإجراء.
invalid-one_fix_photo = أرفقوا صورة واحدة للإصلاح.
business-days = { $n ->
    [one] يوم عمل واحد
    [two] يوما عمل
    [few] { $n } أيام عمل
    [many] { $n } يوم عمل
   *[other] { $n } يوم عمل
}
business-hours = { $n ->
    [one] ساعة عمل واحدة
    [two] ساعتا عمل
    [few] { $n } ساعات عمل
    [many] { $n } ساعة عمل
   *[other] { $n } ساعة عمل
}
business-minutes = { $n ->
    [one] دقيقة واحدة
    [two] دقيقتان
    [few] { $n } دقائق
    [many] { $n } دقيقة
   *[other] { $n } دقيقة
}
expected-times = المدة المتوقعة: أول رد خلال { $response }، والمعالجة خلال { $resolution }.
admin-service-fix-photo = تُرفق صورة للإصلاح مع كل معالجة
admin-survey-days = أيام انتظار رد المبلّغ على الاستبيان قبل إغلاق البلاغ تلقائيًا
# تصدير البلاغات (/staff/export)
nav-export = التصدير
export-title = تصدير البلاغات
export-lead = نزّل البلاغات في ملف، الأقدم أولًا: جدول بيانات للموظفين، أو بيانات مفتوحة يجوز نشرها.
export-format = الصيغة
export-format-csv = جدول بيانات (CSV بترميز UTF-8)
export-format-xlsx = جدول بيانات (Excel XLSX)
export-format-nyc311 = بيانات مفتوحة (CSV بتخطيط طلبات خدمة 311 في نيويورك)
export-entity = الجهة
export-entity-all = كل الجهات
export-from = أُنشئ من
export-to = أُنشئ قبل
export-submit = تنزيل
export-masked = يرى دورك اسم المُبلِّغ وهاتفه وبريده مُقنَّعة، وكذلك يظهر في جدول البيانات.
export-plain = يحوي جدول البيانات اسم المُبلِّغ وهاتفه وبريده: احفظه كما تحفظ البلاغات.
export-open-data = لا يحوي ملف البيانات المفتوحة أي بيانات شخصية: لا مُبلِّغ ولا وصف ولا عنوان، والموقع للبلاغات الميدانية والشكاوى فقط، مُقرَّبًا إلى نحو ١١٠ أمتار.
invalid-unknown_format = اختر إحدى الصيغ.
invalid-empty_period = يجب أن تأتي النهاية بعد البداية.
invalid-too_many_for_xlsx = البلاغات أكثر مما تسعه ورقة واحدة: اختر مدة أقصر، أو صيغة CSV.

## The queue's filters by department, assignee, kind, area, language and entity (issue 16 §3)
filter-department = القسم
filter-no-department = بلا قسم بعد
filter-assignee = المكلَّف
filter-unassigned = لا أحد
filter-kind = النوع
filter-area = المنطقة
filter-no-area = بلا منطقة
filter-language = اللغة
filter-entity = الجهة
invalid-invalid_area = اختر منطقة من القائمة.
invalid-unknown_area = اختر منطقة من مناطق هذه الجهة.
language-of-ur = الأردية
language-of-hi = الهندية
language-of-bn = البنغالية
language-of-tl = التاغالوغية
language-of-ml = المالايالامية
language-of-fr = الفرنسية
