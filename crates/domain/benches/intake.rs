//! The pure work done for every case at intake: parsing and validating the submission, and
//! normalising its text for search. `cargo bench -p tawasul-domain`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use tawasul_domain::catalogue::{FieldType, FormField, Service};
use tawasul_domain::intake::{IntakeDraft, LocationDraft, NewCase, ReporterDraft};
use tawasul_domain::text::normalise_for_search;
use tawasul_domain::vocab::{Kind, Priority};

fn service() -> Service {
    Service {
        id: 1,
        code: "water-leak".into(),
        entity: "cap".into(),
        entity_id: 1,
        name_ar: "تسرب مياه".into(),
        name_en: "Water leak".into(),
        description_ar: String::new(),
        description_en: String::new(),
        kinds: vec![Kind::Complaint, Kind::Report],
        fields: vec![FormField {
            key: "severity".into(),
            label_ar: "الشدة".into(),
            label_en: "Severity".into(),
            field_type: FieldType::Number,
            required: false,
            options: vec![],
            min: Some(1.0),
            max: Some(5.0),
        }],
        default_department: Some("water".into()),
        default_department_id: Some(1),
        default_priority: Priority::Normal,
    }
}

const TEXT: &str = "تسرب مياه كبير أمام المنزل رقم ١٢ في شارع ٤٥، مجمع ٣٠٤ بالقرب من المدرسة الابتدائية منذ ثلاثة أيام، والمياه تصل إلى الطريق الرئيسي وتسبب إزعاجاً للمارة";

fn benches(c: &mut Criterion) {
    let service = service();
    let draft = IntakeDraft {
        service: "water-leak".into(),
        kind: "complaint".into(),
        description: TEXT.into(),
        location: Some(LocationDraft { lat: 26.22, lon: 50.58 }),
        reporter: Some(ReporterDraft {
            name: Some("فاطمة أحمد".into()),
            phone: Some("+973 3300 1234".into()),
            email: Some("fatima@example.bh".into()),
            language: Some("ar".into()),
        }),
        ..Default::default()
    };
    c.bench_function("NewCase::parse (Arabic complaint, reporter, location)", |b| {
        b.iter(|| NewCase::parse(black_box(&draft), black_box(&service)))
    });
    c.bench_function("normalise_for_search (160 Arabic characters)", |b| {
        b.iter(|| normalise_for_search(black_box(TEXT)))
    });
}

criterion_group!(intake, benches);
criterion_main!(intake);
