use serde_json::{Map, Value, json};

use super::{Found, Op, Settled, plan};
use crate::outcome::RunCode;
use crate::plan::Mapping;
use crate::syntax::ast::OpKind;

fn mapping(src: &str) -> Mapping {
    let schema = crate::schema::Schema::builtin_with_file(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/schema/acme-org.json"),
    )
    .unwrap();
    let parsed = crate::syntax::parse(src);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let compiled = crate::compile::compile(&parsed.file, &schema, "t");
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    compiled.plan.mappings.into_iter().next().unwrap()
}

fn fields(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn op(event: u64, operation: OpKind, email: &str, f: Value) -> Op {
    Op {
        event,
        operation,
        matchers: vec![("Email".into(), json!(email))],
        fields: fields(f),
        create_only: Map::new(),
        missing_on_create: vec![],
    }
}

const UPSERT: &str = "mapping m { on identify object Lead upsert match Email = traits.email \
                      fields { LastName = traits.l Company = traits.c Phone = traits.p } }";

#[test]
fn create_then_updates_become_one_create_with_the_last_values() {
    let m = mapping(UPSERT);
    let ops = [
        op(
            1,
            OpKind::Upsert,
            "a@x.com",
            json!({"LastName": "A", "Company": "X", "Phone": "1"}),
        ),
        op(2, OpKind::Upsert, "A@X.COM", json!({"Phone": "2"})),
        op(3, OpKind::Upsert, "a@x.com", json!({"Phone": null})),
    ];
    let w = plan(&m, &ops, &[]);
    assert_eq!(w.creates.len(), 1);
    assert!(w.updates.is_empty());
    assert_eq!(w.creates[0].events, [1, 2, 3]);
    assert_eq!(
        Value::Object(w.creates[0].fields.clone()),
        json!({"Email": "a@x.com", "LastName": "A", "Company": "X", "Phone": null})
    );
}

#[test]
fn existing_records_are_updated_and_unknown_ones_created() {
    let m = mapping(UPSERT);
    let found = [Found {
        id: "00Q5g0000000001AAA".into(),
        values: fields(json!({"Email": "old@x.com"})),
    }];
    let ops = [
        op(1, OpKind::Upsert, "old@x.com", json!({"Phone": "9"})),
        op(
            2,
            OpKind::Upsert,
            "new@x.com",
            json!({"LastName": "N", "Company": "C"}),
        ),
    ];
    let w = plan(&m, &ops, &found);
    assert_eq!(w.updates.len(), 1);
    assert_eq!(w.updates[0].id.as_deref(), Some("00Q5g0000000001AAA"));
    assert_eq!(
        Value::Object(w.updates[0].fields.clone()),
        json!({"Phone": "9"})
    );
    assert_eq!(w.creates.len(), 1);
    assert_eq!(w.creates[0].events, [2]);
}

#[test]
fn multiple_matches_fail_and_missing_records_follow_else() {
    let m = mapping(
        "mapping m { on identify object Lead update match Email = traits.email else skip \
         fields { Phone = traits.p } }",
    );
    let found = [
        Found {
            id: "00Q000000000001".into(),
            values: fields(json!({"Email": "d@x.com"})),
        },
        Found {
            id: "00Q000000000002".into(),
            values: fields(json!({"Email": "d@x.com"})),
        },
    ];
    let ops = [
        op(1, OpKind::Update, "d@x.com", json!({"Phone": "1"})),
        op(2, OpKind::Update, "none@x.com", json!({"Phone": "1"})),
    ];
    let w = plan(&m, &ops, &found);
    assert!(w.updates.is_empty() && w.creates.is_empty());
    assert!(matches!(
        &w.settled[0],
        (
            1,
            Settled::Failed {
                code: RunCode::MultipleMatches,
                ..
            }
        )
    ));
    assert!(matches!(&w.settled[1], (2, Settled::Skipped(_))));
}

#[test]
fn add_skips_existing_and_delete_after_create_cancels_out() {
    let m = mapping(
        "mapping m { on identify object Lead add match Email = traits.email \
         fields { LastName = traits.l Company = traits.c } }",
    );
    let found = [Found {
        id: "00Q000000000001".into(),
        values: fields(json!({"Email": "e@x.com"})),
    }];
    let ops = [
        op(
            1,
            OpKind::Add,
            "e@x.com",
            json!({"LastName": "E", "Company": "C"}),
        ),
        op(
            2,
            OpKind::Add,
            "f@x.com",
            json!({"LastName": "F", "Company": "C"}),
        ),
        op(
            3,
            OpKind::Add,
            "f@x.com",
            json!({"LastName": "G", "Company": "C"}),
        ),
    ];
    let w = plan(&m, &ops, &found);
    assert_eq!(
        w.creates.len(),
        1,
        "the second add finds the record the first created"
    );
    assert!(matches!(&w.settled[0], (1, Settled::Skipped(_))));
    assert!(matches!(&w.settled[1], (3, Settled::Skipped(_))));

    let d = mapping("mapping m { on identify object Lead delete match Email = traits.email }");
    let mut create = op(
        1,
        OpKind::Upsert,
        "g@x.com",
        json!({"LastName": "G", "Company": "C"}),
    );
    create.operation = OpKind::Create;
    let ops = [create, op(2, OpKind::Delete, "g@x.com", json!({}))];
    let w = plan(&d, &ops, &[]);
    assert!(w.creates.is_empty() && w.deletes.is_empty());
    assert_eq!(w.settled.len(), 2);
}

#[test]
fn upsert_that_would_create_without_required_fields_fails_that_event_only() {
    let m = mapping(UPSERT);
    let mut lacking = op(1, OpKind::Upsert, "h@x.com", json!({"Phone": "1"}));
    lacking.missing_on_create = vec!["LastName".into(), "Company".into()];
    let found = [Found {
        id: "00Q000000000009".into(),
        values: fields(json!({"Email": "i@x.com"})),
    }];
    let mut ok = op(2, OpKind::Upsert, "i@x.com", json!({"Phone": "2"}));
    ok.missing_on_create = vec!["LastName".into()];
    let w = plan(&m, &[lacking, ok], &found);
    assert!(matches!(
        &w.settled[0],
        (
            1,
            Settled::Failed {
                code: RunCode::MissingRequired,
                ..
            }
        )
    ));
    assert_eq!(w.updates.len(), 1, "an update needs no required fields");
}

#[test]
fn external_id_upserts_merge_per_key() {
    let m = mapping(
        "mapping m { on identify object Lead upsert match Segment_User_Id__c = userId \
         fields { LastName = traits.l Company = traits.c Phone = traits.p } }",
    );
    let mk = |e: u64, k: &str, f: Value| Op {
        event: e,
        operation: OpKind::Upsert,
        matchers: vec![("Segment_User_Id__c".into(), json!(k))],
        fields: fields(f),
        create_only: Map::new(),
        missing_on_create: vec![],
    };
    let ops = [
        mk(1, "u1", json!({"LastName": "A", "Phone": "1"})),
        mk(2, "u2", json!({"LastName": "B"})),
        mk(3, "u1", json!({"Phone": "3"})),
    ];
    let w = plan(&m, &ops, &[]);
    assert_eq!(w.upserts.len(), 2);
    assert_eq!(w.upserts[0].events, [1, 3]);
    assert_eq!(
        Value::Object(w.upserts[0].fields.clone()),
        json!({"Segment_User_Id__c": "u1", "LastName": "A", "Phone": "3"})
    );
}

#[test]
fn an_id_among_ored_matchers_finds_the_record_by_its_id() {
    let m = mapping(
        "mapping m { on identify object Contact update match Id = traits.id or Email = traits.e \
         fields { Title = traits.t } }",
    );
    let a = "003000000000A01AAA";
    let found = [Found {
        id: a.into(),
        values: fields(json!({"Email": "a@x.com"})),
    }];
    let by = |event: u64, id: &str, email: &str| Op {
        event,
        operation: OpKind::Update,
        matchers: vec![("Id".into(), json!(id)), ("Email".into(), json!(email))],
        fields: fields(json!({"Title": format!("t{event}")})),
        create_only: Map::new(),
        missing_on_create: vec![],
    };
    // By the 18-character Id, then the 15-character one; a lowercased Id is another record.
    let ops = [
        by(1, a, "new@x.com"),
        by(2, &a[..15], "other@x.com"),
        by(3, "003000000000a01AAA", "none@x.com"),
    ];
    let w = plan(&m, &ops, &found);
    assert_eq!(w.updates.len(), 1);
    assert_eq!(w.updates[0].id.as_deref(), Some(a));
    assert_eq!(w.updates[0].events, [1, 2]);
    assert!(matches!(
        &w.settled[..],
        [(
            3,
            Settled::Failed {
                code: RunCode::NotFound,
                ..
            }
        )]
    ));
}

#[test]
fn an_id_anded_with_another_matcher_needs_both_to_match() {
    let m = mapping(
        "mapping m { on identify object Contact update match Id = traits.id and Email = traits.e \
         fields { Title = traits.t } }",
    );
    let a = "003000000000A01AAA";
    let found = [Found {
        id: a.into(),
        values: fields(json!({"Email": "a@x.com"})),
    }];
    let by = |event: u64, email: &str| Op {
        event,
        operation: OpKind::Update,
        matchers: vec![("Id".into(), json!(a)), ("Email".into(), json!(email))],
        fields: fields(json!({"Title": format!("t{event}")})),
        create_only: Map::new(),
        missing_on_create: vec![],
    };
    let w = plan(&m, &[by(1, "A@x.com"), by(2, "b@x.com")], &found);
    assert_eq!(w.updates.len(), 1);
    assert_eq!(w.updates[0].id.as_deref(), Some(a));
    assert_eq!(w.updates[0].events, [1]);
    assert!(matches!(
        &w.settled[..],
        [(
            2,
            Settled::Failed {
                code: RunCode::NotFound,
                ..
            }
        )]
    ));
}

#[test]
fn add_by_id_skips_the_record_it_finds_and_creates_none_with_that_id() {
    let m = mapping(
        "mapping m { on identify object Lead add match Id = traits.id \
         fields { LastName = traits.l Company = traits.c } }",
    );
    let a = "00Q000000000A01AAA";
    let found = [Found {
        id: a.into(),
        values: Map::new(),
    }];
    let add = |event: u64, id: &str| Op {
        event,
        operation: OpKind::Add,
        matchers: vec![("Id".into(), json!(id))],
        fields: fields(json!({"LastName": "L", "Company": "C"})),
        create_only: Map::new(),
        missing_on_create: vec![],
    };
    let w = plan(&m, &[add(1, a), add(2, "00Q000000000B01")], &found);
    assert!(matches!(&w.settled[..], [(1, Settled::Skipped(_))]));
    assert_eq!(w.creates.len(), 1);
    assert_eq!(
        Value::Object(w.creates[0].fields.clone()),
        json!({"LastName": "L", "Company": "C"}),
        "an Id is never written on create"
    );
}
