### Tawasul notifications in Arabic.
###
### Every template has `{template}-subject` and `{template}-body`. An attribute of a body named after
### an optional argument (`.track_url`, `.message`) is added as a paragraph of its own only when that
### argument is given. `signature` closes every body. A missing `x_en` argument takes the value of
### `x_ar` and the other way round. ISOLATE() keeps free text written by people, which may be in
### either script, in its own direction; references, codes and links need no isolation.

signature =
    مع خالص التحية،
    منصة تواصل

one_time_code-subject = رمز التحقق الخاص بكم في منصة تواصل
one_time_code-body =
    رمز التحقق الخاص بكم هو: { $code }

    هذا الرمز صالح لمدة { $minutes ->
        [zero] { $minutes } دقيقة
        [one] دقيقة واحدة
        [two] دقيقتين
        [few] { $minutes } دقائق
        [many] { $minutes } دقيقة
       *[other] { $minutes } دقيقة
    } فقط، ويُرجى عدم مشاركته مع أي شخص، علمًا بأن موظفي المنصة لن يطلبوه منكم.
    إذا لم تطلبوا هذا الرمز، فيُرجى تجاهل هذه الرسالة.

case_received-subject = تم استلام بلاغكم رقم { $reference }
case_received-body =
    تحية طيبة وبعد،

    نشكركم على تواصلكم معنا، ونفيدكم بأنه تم استلام بلاغكم بخصوص خدمة «{ $service_ar }»، وقد قُيّد برقم { $reference }.
    سيتولى الفريق المختص دراسة البلاغ، وسنوافيكم بالمستجدات تباعًا.
    .track_url =
        يمكنكم متابعة حالة البلاغ عبر الرابط التالي:
        { $track_url }

case_received_mail-subject = تم استلام بلاغكم رقم { $reference }
case_received_mail-body =
    تحية طيبة وبعد،

    نشكركم على رسالتكم، ونفيدكم بأنه تم تسجيلها بلاغًا بخصوص خدمة «{ $service_ar }» برقم { $reference }.
    سيتولى الفريق المختص دراسة البلاغ، وسنوافيكم بالمستجدات تباعًا.
    لإضافة معلومات أو صور إلى بلاغكم، يكفي الرد على هذه الرسالة من عنوان بريدكم نفسه مع إبقاء رقم البلاغ في عنوان الرسالة.
    .track_url =
        يمكنكم متابعة حالة البلاغ عبر الرابط التالي:
        { $track_url }

case_acknowledged-subject = بلاغكم رقم { $reference } قيد الدراسة
case_acknowledged-body =
    تحية طيبة وبعد،

    نود إفادتكم بأن الجهة المختصة قد اطّلعت على بلاغكم رقم { $reference }، وهو الآن قيد الدراسة. وسنوافيكم بأي مستجدات بشأنه.

case_assigned-subject = إحالة بلاغكم رقم { $reference } إلى الجهة المختصة
case_assigned-body =
    تحية طيبة وبعد،

    نفيدكم بأنه تمت إحالة بلاغكم رقم { $reference } إلى { $department_ar } لمتابعته واتخاذ الإجراءات اللازمة بشأنه.

case_transferred-subject = تحويل بلاغكم رقم { $reference } إلى جهة أخرى
case_transferred-body =
    تحية طيبة وبعد،

    نفيدكم بأنه تم تحويل بلاغكم رقم { $reference } إلى { $entity_ar } بصفتها الجهة المختصة بالنظر فيه، وستتولى متابعته من الآن فصاعدًا.

case_waiting_on_you-subject = بلاغكم رقم { $reference } بانتظار ردكم
case_waiting_on_you-body =
    تحية طيبة وبعد،

    تحتاج الجهة المختصة إلى معلومات إضافية منكم لاستكمال دراسة بلاغكم رقم { $reference }. يُرجى تزويدنا بها عبر صفحة متابعة البلاغ في أقرب وقت ممكن، علمًا بأن دراسة البلاغ متوقفة إلى حين وصول ردكم.
    .message =
        ملاحظة الموظف المختص:
        { ISOLATE($message) }

case_reply-subject = رد جديد على بلاغكم رقم { $reference }
case_reply-body =
    تحية طيبة وبعد،

    نفيدكم بوجود رد جديد من الجهة المختصة على بلاغكم رقم { $reference }، ويمكنكم الاطلاع عليه عبر صفحة متابعة البلاغ.
    .message =
        نص الرد:
        { ISOLATE($message) }

case_resolved-subject = تمت معالجة بلاغكم رقم { $reference }
case_resolved-body =
    تحية طيبة وبعد،

    يسرنا إفادتكم بأنه تمت معالجة بلاغكم رقم { $reference }، وفيما يلي الإجراء المتخذ:

    { ISOLATE($resolution) }

    وإن كانت لديكم أي ملاحظات على المعالجة، فيسعدنا تلقيها عبر صفحة متابعة البلاغ. شاكرين لكم تعاونكم.
    .survey_url =
        هل حُلّت المشكلة فعلًا؟ نرجو تقييم المعالجة وإفادتنا عبر الرابط التالي (يُستخدم مرة واحدة، ودون الحاجة إلى تسجيل الدخول). وإن لم يصلنا ردكم خلال المدة المحددة فسيُغلق البلاغ:
        { $survey_url }

case_rejected-subject = تعذّر قبول بلاغكم رقم { $reference }
case_rejected-body =
    تحية طيبة وبعد،

    نأسف لإفادتكم بأنه تعذّر قبول بلاغكم رقم { $reference }، وذلك للسبب التالي:

    { ISOLATE($reason) }

    ويسعدنا استقبال بلاغ جديد منكم متى توفرت لديكم معلومات إضافية. شاكرين لكم تفهمكم.

case_merged-subject = ضمّ بلاغكم رقم { $reference } إلى البلاغ رقم { $into }
case_merged-body =
    تحية طيبة وبعد،

    نفيدكم بأن بلاغكم رقم { $reference } يتناول الموضوع ذاته الذي يتناوله البلاغ رقم { $into }، ولذلك تم ضمّه إليه. والبلاغ رقم { $into } قيد المعالجة، وما يُتخذ بشأنه يشمل بلاغكم أيضًا، ويمكنكم متابعته عبر صفحة متابعة البلاغ. شاكرين لكم حرصكم على الإبلاغ.

case_reopened-subject = إعادة فتح بلاغكم رقم { $reference }
case_reopened-body =
    تحية طيبة وبعد،

    نفيدكم بأنه تمت إعادة فتح بلاغكم رقم { $reference }، وسيعاود الفريق المختص دراسته. وسنوافيكم بالمستجدات تباعًا.

case_closed-subject = إغلاق بلاغكم رقم { $reference }
case_closed-body =
    تحية طيبة وبعد،

    نفيدكم بأنه تم إغلاق بلاغكم رقم { $reference }. نشكركم على تواصلكم معنا، ويسعدنا خدمتكم دائمًا.

case_escalated-subject = تصعيد بلاغكم رقم { $reference }
case_escalated-body =
    تحية طيبة وبعد،

    نفيدكم بأنه تم تصعيد بلاغكم رقم { $reference } إلى مستوى إداري أعلى (المستوى { $level ->
        [1] الأول
        [2] الثاني
        [3] الثالث
       *[other] { $level }
    }) حرصًا على معالجته في أقرب وقت ممكن.

escalation_received-subject = تم تسجيل تظلمكم رقم { $reference }
escalation_received-body =
    تحية طيبة وبعد،

    نفيدكم بأنه تم تسجيل تظلمكم بشأن عدم الاستجابة لبلاغكم رقم { $original_reference }، وقد قُيّد برقم { $reference }. وسيتولى مستوى إداري أعلى مراجعة البلاغ، وسنوافيكم بالنتيجة.

staff_escalation-subject = تصعيد: البلاغ رقم { $reference } تجاوز المهلة المحددة
staff_escalation-body =
    نحيطكم علمًا بأن البلاغ رقم { $reference } قد تجاوز المهلة المحددة لمعالجته، وتم تصعيده إلى المستوى { $level ->
        [1] الأول
        [2] الثاني
        [3] الثالث
       *[other] { $level }
    }.
    الموعد المحدد للمعالجة: { $due }

    يُرجى اتخاذ ما يلزم بشأنه في أقرب وقت ممكن.

staff_ignored_complaint-subject = تظلم بشأن البلاغ رقم { $original_reference }
staff_ignored_complaint-body =
    نحيطكم علمًا بأن مقدم البلاغ رقم { $original_reference } قد تقدّم بتظلم بشأن عدم الاستجابة لبلاغه، وقد سُجّل التظلم برقم { $reference }.

    يُرجى مراجعة البلاغ والرد على مقدمه في أقرب وقت ممكن.

kpi_missed-subject = لم تحقق { $entity_ar } مستهدفًا في { $period }: { kpi_missed-name }
kpi_missed-body =
    لم تحقق { $entity_ar } خلال { $period } مستهدفها في { kpi_missed-name }.
    المتحقق: { $value }. المستهدف: { $target }.

    تجدون الأرقام التفصيلية في لوحة الأداء في بوابة الموظفين.
kpi_missed-name = { $kpi ->
    [within_sla_first_response] الاستجابة الأولى ضمن اتفاقية الخدمة (٪)
    [within_sla] المعالجة ضمن اتفاقية الخدمة (٪)
    [within_ola] المعالجة ضمن اتفاقية التشغيل (٪)
    [reopen_rate] البلاغات المعاد فتحها (٪)
    [closure_rate] البلاغات المغلقة (٪)
    [confirmed_resolution_rate] البلاغات التي أكد المواطن حلها (٪)
    [auto_closed_rate] البلاغات المغلقة دون رد المواطن (٪)
    [transfer_rate] البلاغات المحالة (٪)
    [escalation_rate] البلاغات المصعّدة (٪)
    [ignored] شكاوى تجاهل البلاغات
    [quality_mean] تقييم جودة الإغلاق (من 5)
    [speed_mean] تقييم السرعة (من 5)
    [employee_mean] تقييم الموظف (من 5)
    [agent_rating] تقييم موظف مركز الاتصال (من 5)
    [survey_response_rate] نسبة الرد على الاستبيان (٪)
   *[other] { $kpi }
}

# What an agent says in a conversation on SMS, WhatsApp or social media, sent on its channel.
chat_reply-subject = رسالة من موظفينا
chat_reply-body = { $message }
    .unsigned = -

# The question to a resident whose conversation on SMS, WhatsApp or social media an agent
# served and ended: their rating of the agent, 1 to 5; their next message answers it.
agent_rating-subject = قيّم الموظف
agent_rating-body = شكرًا لتواصلك معنا. كيف تقيّم الموظف الذي خدمك؟ أرسل رقمًا من 1 (ضعيف جدًا) إلى 5 (ممتاز).
    .unsigned = -
agent_rating-choices = ضعيف جدًا, ضعيف, مقبول, جيد, ممتاز
