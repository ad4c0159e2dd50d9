//! The built-in Classic behaviour as mappings (identify → Lead, group → Account), and the report
//! items for every setting. Custom actions are in [`super::custom`].

use super::assumptions as asm;
use super::custom;
use super::report::{DestinationReport, Status};
use super::settings::{Secret, Settings, Val, Version, default_note, gate};
use super::spec::{self, MappingSpec};
use super::{IdentifyDefault, Options};
use crate::syntax::{self, print};

const BULK_NOTE: &str = "bulk stays off: Classic wrote each record with its own SOAP calls and had no batching setting (see the report).";

/// Traits that Classic did not send as `__c` on a Lead [ASM], beyond those read by a field.
const LEAD_EXCLUDED: &[&str] = &[
    "id",
    "anonymousId",
    "anonymous_id",
    "userId",
    "user_id",
    "avatar",
    "age",
    "birthday",
    "gender",
    "username",
    "createdAt",
    "created_at",
    "status",
];

/// Group traits that Classic did not send as `__c` on an Account [ASM], beyond those read.
const ACCOUNT_EXCLUDED: &[&str] = &[
    "id",
    "avatar",
    "createdAt",
    "created_at",
    "industry",
    "street",
    "city",
    "state",
    "country",
    "postalCode",
    "postal_code",
    "zip",
];

const POSTAL: &str = "coalesce(traits.address.postalCode, traits.postalCode, traits.address.postal_code, traits.postal_code, traits.address.zip, traits.zip)";

/// The mappings of one destination, and every report item about its settings.
pub fn mappings(s: &Settings, options: &Options, r: &mut DestinationReport) -> Vec<MappingSpec> {
    settings_items(s, r);
    let mut out = Vec::new();
    let has_identify_action = custom::has_identify_action(s);
    if has_identify_action && options.identify_default == IdentifyDefault::Drop {
        r.item(
            "lead",
            Status::Dropped,
            "identify -> Lead not generated: --identify-default drop, and a custom identify action exists.",
            &[asm::IDENTIFY_DEFAULT],
        );
    } else {
        if has_identify_action {
            r.item(
                "lead.with-identify-action",
                Status::Approximated,
                "a custom identify action exists; Classic may have skipped its default Lead upsert for such events. The default Lead mapping is kept (use --identify-default drop to leave it out).",
                &[asm::IDENTIFY_DEFAULT],
            );
        }
        out.push(lead(s, r));
    }
    match s.version.value {
        Version::V2 => out.push(account(s, r)),
        Version::V1 => {
            r.item(
                "version",
                Status::Approximated,
                "\"1\" (deprecated): group -> Account needed V2, so only identify -> Lead is generated; V1 internals are unknown.",
                &[asm::V1],
            );
            for (key, v) in [("billing", &s.billing), ("shipping", &s.shipping)] {
                r.item(
                    key,
                    Status::Dropped,
                    format!(
                        "{}{}: address traits of group calls went to the Account, which V1 did not write.",
                        default_note(v),
                        v.value
                    ),
                    &defaults(v),
                );
            }
        }
    }
    custom::mappings(s, r, &mut out);
    r.item(
        "track, page, screen, alias",
        Status::Mapped,
        "Classic sent nothing for them except through custom actions; no other mapping is generated.",
        &[],
    );
    r.item(
        "batching",
        Status::Mapped,
        "Classic had no batching (one SOAP call per record); sfmap sends through REST, and `bulk` stays off (each mapping says so in a comment).",
        &[],
    );
    segment_comparison(s, r);
    out
}

fn settings_items(s: &Settings, r: &mut DestinationReport) {
    let shape = r.shape;
    r.item(
        "input",
        Status::Mapped,
        format!("{} at {} in {}.", shape.label(), r.at, r.input),
        if shape == super::input::Shape::ConfigApi {
            &[asm::CONFIG_TYPES]
        } else {
            &[]
        },
    );
    let mut cred = String::from(
        "username, password and security token are not carried over (sfmap uses OAuth). Log in with `sfmap login --profile ",
    );
    cred.push_str(&r.profile);
    cred.push_str("`.");
    if let Some(u) = &s.username {
        cred.push_str(&format!(" Classic logged in as `{u}` (hint only)."));
    }
    r.item("credentials", Status::Dropped, cred, &[]);
    let clear: Vec<&str> = [
        ("password", s.password),
        ("securityToken", s.security_token),
    ]
    .iter()
    .filter(|(_, v)| *v == Secret::Clear)
    .map(|(k, _)| *k)
    .collect();
    if !clear.is_empty() {
        r.item(
            "secrets in clear text",
            Status::Dropped,
            format!(
                "the input holds {} in clear text. It was ignored and is printed nowhere; do not commit the export, and consider rotating it.",
                clear.join(" and ")
            ),
            &[asm::TOKEN_CENSORING],
        );
    }
    let host = if s.sandbox.value {
        "sandbox: `sandbox = true` (test.salesforce.com) in the profile"
    } else {
        "production: `login_host = \"login.salesforce.com\"` in the profile"
    };
    r.item(
        "sandbox",
        Status::Mapped,
        format!("{}{host}.", default_note(&s.sandbox)),
        &defaults(&s.sandbox),
    );
    let (_, why) = gate(s);
    r.item(
        "alwaysEnabled",
        Status::Mapped,
        format!(
            "{}{} Every generated mapping carries this condition. Keep sending `integrations: {{Salesforce: true}}` (the key is `Salesforce`, not `Salesforce (Actions)`).",
            default_note(&s.always_enabled),
            if s.always_enabled.value {
                "true: every identify/group event (with Segment's usual integrations filter)."
            } else {
                "false: only events with `integrations.Salesforce == true` (opt-in gate kept)."
            }
        ),
        &if s.always_enabled.value {
            vec![asm::STANDARD_FILTER]
        } else {
            defaults(&s.always_enabled)
        },
    );
    let _ = why;
    if s.version.value == Version::V2 {
        r.item(
            "version",
            Status::Mapped,
            format!(
                "{}\"2\": identify -> Lead and group -> Account.",
                default_note(&s.version)
            ),
            &defaults(&s.version),
        );
    }
    for k in &s.unknown_keys {
        r.item(
            format!("setting `{k}`"),
            Status::Dropped,
            "not a Salesforce (Classic) setting; ignored.",
            &[],
        );
    }
    if s.enabled == Some(false) {
        r.item(
            "enabled",
            Status::Mapped,
            "the destination was disabled in Segment; the mappings are generated anyway. Run them only when you mean to.",
            &[],
        );
    }
}

/// The assumption behind a documented default (none when the input or its catalog says).
fn defaults<T>(v: &Val<T>) -> Vec<asm::Assumption> {
    if v.explicit || v.catalog {
        vec![]
    } else {
        vec![asm::DEFAULTS]
    }
}

/// The identify → Lead mapping (§3.1).
fn lead(s: &Settings, r: &mut DestinationReport) -> MappingSpec {
    let (cond, why) = gate(s);
    let mut m = MappingSpec {
        name: "lead".into(),
        topic: "lead".into(),
        header: vec![
            "identify -> Lead: Classic's built-in create-or-update (a query, then an update or a create).".into(),
            "Fields are written out rather than `use classic.lead`, which is Segment's migration table (read-only Lead.Name, Title from address.title).".into(),
        ],
        on_comments: vec![why.into()],
        on: format!("identify where {cond}"),
        object: "Lead".into(),
        footer: vec![BULK_NOTE.into()],
        ..MappingSpec::default()
    };
    // Matchers.
    let mut extra_fields = Vec::new();
    if s.lead_lookup.value.is_empty() {
        m.op_comments
            .push("Classic looked the Lead up by email (no Custom Lead Lookup Fields).".into());
        m.op = "upsert match Email = traits.email".into();
        r.item(
            "leadLookupFields",
            Status::Mapped,
            format!(
                "{}empty: matcher `Email = traits.email`.",
                default_note(&s.lead_lookup)
            ),
            &[&defaults(&s.lead_lookup)[..], &[asm::LOOKUP_MISSING]].concat(),
        );
    } else {
        let mut parts = Vec::new();
        let mut ambiguous = Vec::new();
        for (trait_name, field) in &s.lead_lookup.value {
            let in_traits = spec::path_under("traits", trait_name);
            let event_field = spec::event_path(trait_name);
            let value = match event_field {
                Some(p)
                    if trait_name.contains('.')
                        || trait_name == "userId"
                        || trait_name == "anonymousId" =>
                {
                    ambiguous.push(trait_name.clone());
                    format!("coalesce({in_traits}, {p})")
                }
                _ => {
                    if trait_name.contains('.') {
                        ambiguous.push(trait_name.clone());
                    }
                    in_traits.clone()
                }
            };
            parts.push(format!("{field} = {value}"));
            // Classic wrote the lookup value when the custom-trait rule produced the field.
            if *field == format!("{trait_name}__c") && syntax::is_bare_ident(trait_name) {
                extra_fields.push((field.clone(), in_traits));
            }
        }
        m.op_comments.push(
            "Custom Lead Lookup Fields (trait -> field), used together: matchers joined with AND."
                .into(),
        );
        if !ambiguous.is_empty() {
            m.op_comments.push(format!(
                "[ASM] {} is ambiguous (Classic's docs say \"trait name\"): read under traits first, then as an event field where that exists.",
                ambiguous
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        m.op = format!("upsert match {}", parts.join(" and "));
        let mut a = vec![asm::LOOKUP_MISSING];
        if !ambiguous.is_empty() {
            a.push(asm::LOOKUP_KEY);
        }
        r.item(
            "leadLookupFields",
            Status::Mapped,
            format!(
                "{} row(s) -> matchers `{}`, joined with AND (\"in conjunction\"), direction inverted (Salesforce field = Segment trait). Email is a matcher only if listed.",
                s.lead_lookup.value.len(),
                parts.join(" and ")
            ),
            &a,
        );
    }
    // Fields (§3.1 table).
    m.field(&[], "Email = traits.email");
    m.field(
        &["[INF] Classic (facade) took firstName/first_name, else split `name` at the first space."],
        "FirstName = coalesce(traits.firstName, traits.first_name, name_first(traits.name))",
    );
    m.field(
        &["Lead needs LastName and Company: Classic sent \"n/a\" when this event lacked them (also on updates)."],
        "LastName = coalesce(traits.lastName, traits.last_name, name_last(traits.name), \"n/a\")",
    );
    m.field(
        &["`company` may be text or an object with a name."],
        "Company = coalesce(traits.company.name, traits.company, \"n/a\")",
    );
    m.field(
        &["[INF] facade also read title from position and jobTitle."],
        "Title = coalesce(traits.title, traits.position, traits.jobTitle)",
    );
    m.field(&[], "Phone = coalesce(traits.phone, traits.phoneNumber)");
    m.field(
        &["[INF] Address traits: nested under `address`, else top-level."],
        "Street = coalesce(traits.address.street, traits.street)",
    );
    m.field(&[], "City = coalesce(traits.address.city, traits.city)");
    m.field(&[], "State = coalesce(traits.address.state, traits.state)");
    m.field(
        &[],
        "Country = coalesce(traits.address.country, traits.country)",
    );
    m.field(&[], format!("PostalCode = {POSTAL}"));
    m.field(&[], "Rating = traits.rating");
    m.field(&[], "Website = traits.website");
    m.field(&[], "Description = traits.description");
    m.field(
        &[],
        "LeadSource = coalesce(traits.leadSource, traits.lead_source)",
    );
    for (field, value) in &extra_fields {
        m.field(
            &["Classic's custom-trait rule wrote this lookup value, so a created Lead can be found again."],
            format!("{field} = {value}"),
        );
    }
    let except: Vec<String> = LEAD_EXCLUDED.iter().map(|k| print::key(k)).collect();
    m.field(
        &[
            "Classic sent every other trait as `<trait>__c` (case kept); the fields must exist in the org.",
            "[ASM] Not sent: Segment-spec traits without a Lead field, and status (Lead Status is never updated).",
        ],
        format!("...traits suffix \"__c\" except [{}]", except.join(", ")),
    );
    r.item(
        "lead.fields",
        Status::Mapped,
        "Email, FirstName, LastName, Company, Title, Phone, Street, City, State, Country, PostalCode, Rating, Website, Description, LeadSource, as in classic-settings §3.1; written out, not `use classic.lead` (Segment's table writes the read-only Lead.Name and reads Title from address.title).",
        &[asm::TITLE, asm::ADDRESS],
    );
    r.item(
        "lead.name-split",
        Status::Mapped,
        "FirstName/LastName from firstName/first_name and lastName/last_name, else `traits.name` split at the first space (name_first/name_last).",
        &[asm::NAME_SPLIT],
    );
    r.item(
        "lead.n/a-defaults",
        Status::Mapped,
        "LastName and Company fall back to \"n/a\" when the event lacks them. As in Classic this also overwrites a real LastName/Company on update; sfmap has no create-only field to avoid that.",
        &[],
    );
    r.item(
        "lead.key-case",
        Status::Approximated,
        "Classic matched trait keys ignoring case and punctuation; the mapping reads camelCase and snake_case spellings (firstName, first_name, ...), not others such as FirstName.",
        &[asm::CASE_TOLERANCE],
    );
    r.item(
        "lead.custom-traits",
        Status::Mapped,
        format!(
            "every other top-level scalar trait is sent as `<trait>__c` through `...traits suffix \"__c\"` (keys read by other fields are skipped; objects, arrays, nulls and invalid API names too). Excluded: {}.",
            LEAD_EXCLUDED.join(", ")
        ),
        &[asm::CUSTOM_TRAITS],
    );
    if !extra_fields.is_empty() {
        r.item(
            "lead.lookup-value-written",
            Status::Mapped,
            format!(
                "{} written as field(s) too: a matcher value is not written on create, but Classic's custom-trait rule wrote it.",
                extra_fields.iter().map(|(f, _)| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            ),
            &[],
        );
    }
    r.item(
        "lead.company-object",
        Status::Approximated,
        "`company` as an object uses `company.name`; an object without a name fails the event for this mapping (type mismatch) instead of sending \"n/a\".",
        &[],
    );
    r.item(
        "lead.status",
        Status::Mapped,
        "Lead Status is never written, as in Classic.",
        &[],
    );
    r.item(
        "lead.truncation",
        Status::Approximated,
        "Classic trimmed values longer than a field (City 40, Country 80, Company 255...); sfmap sends them as they are and Salesforce rejects them (add `truncate(x, n)` where needed).",
        &[],
    );
    m
}

/// The group → Account mapping (§3.2).
fn account(s: &Settings, r: &mut DestinationReport) -> MappingSpec {
    let (cond, why) = gate(s);
    let mut m = MappingSpec {
        name: "account".into(),
        topic: "account".into(),
        header: vec!["group -> Account: Classic's built-in create-or-update (V2).".into()],
        on_comments: vec![why.into()],
        on: format!("group where {cond}"),
        object: "Account".into(),
        op_comments: vec!["Classic looked the Account up by AccountNumber = groupId.".into()],
        op: "upsert match AccountNumber = groupId".into(),
        footer: vec![BULK_NOTE.into()],
        ..MappingSpec::default()
    };
    m.field(
        &["Classic required the `name` trait on group calls."],
        "Name = traits.name",
    );
    m.field(&[], "AccountNumber = groupId");
    m.field(&[], "NumberOfEmployees = traits.employees");
    m.field(&[], "Phone = traits.phone");
    m.field(&[], "Website = traits.website");
    m.field(&[], "Description = traits.description");
    let mut addr = Vec::new();
    if s.billing.value {
        m.field(
            &["The preset's postal code reads postalCode only; Classic (facade) also read postal_code and zip."],
            format!("BillingPostalCode = {POSTAL}"),
        );
        m.uses.push((
            vec![format!(
                "billing {}: address traits -> Billing* (the preset matches Classic for street, city, state, country).",
                match (s.billing.explicit, s.billing.catalog) {
                    (true, _) => "is true",
                    (false, true) => "is missing: the export's catalog default is true",
                    (false, false) => "is missing: its default is true",
                }
            )],
            "classic.account.billing".into(),
        ));
        addr.push("Billing*");
    }
    if s.shipping.value {
        m.field(&[], format!("ShippingPostalCode = {POSTAL}"));
        m.uses.push((
            vec!["shipping is true: address traits -> Shipping* as well.".into()],
            "classic.account.shipping".into(),
        ));
        addr.push("Shipping*");
    }
    let except: Vec<String> = ACCOUNT_EXCLUDED.iter().map(|k| print::key(k)).collect();
    m.field(
        &[
            "Custom traits as `<trait>__c`, as for Leads.",
            "[ASM] Not sent: Segment-spec group traits without an Account field (industry included), and address keys.",
        ],
        format!("...traits suffix \"__c\" except [{}]", except.join(", ")),
    );
    r.item(
        "billing",
        Status::Mapped,
        if s.billing.value {
            format!(
                "{}: `use classic.account.billing`, with BillingPostalCode also reading postal_code and zip.",
                match (s.billing.explicit, s.billing.catalog) {
                    (true, _) => "true",
                    (false, true) => "missing, so true (the export's catalog default)",
                    (false, false) => "missing, so true (its default is true, not false)",
                }
            )
        } else {
            format!("{}false: no Billing* fields.", default_note(&s.billing))
        },
        &if s.billing.value {
            [&defaults(&s.billing)[..], &[asm::ADDRESS]].concat()
        } else {
            vec![]
        },
    );
    r.item(
        "shipping",
        Status::Mapped,
        if s.shipping.value {
            "true: `use classic.account.shipping`, with ShippingPostalCode also reading postal_code and zip.".to_string()
        } else {
            format!("{}false: no Shipping* fields.", default_note(&s.shipping))
        },
        &defaults(&s.shipping),
    );
    r.item(
        "account.fields",
        Status::Mapped,
        format!(
            "Name, AccountNumber = groupId, NumberOfEmployees (employees), Phone, Website, Description{}{}; other scalar traits as `<trait>__c`. Industry is not mapped.",
            if addr.is_empty() { "" } else { ", " },
            addr.join(", ")
        ),
        &[asm::CUSTOM_TRAITS, asm::INDUSTRY],
    );
    m
}

fn segment_comparison(s: &Settings, r: &mut DestinationReport) {
    let mut diffs = vec![
        "Segment's migration wrote the read-only Lead.Name (likely INVALID_FIELD_FOR_INSERT_UPDATE); here FirstName/LastName are split from it",
        "it read Title from `traits.address.title` (a slip); here `traits.title`, `position`, `jobTitle`",
        "it dropped the \"n/a\" defaults (Actions fails without a last name); kept here",
        "it dropped custom traits (`__c`); kept here",
        "it read snake_case traits only; camelCase is read here too",
    ];
    if s.lead_lookup.value.len() > 1 {
        diffs.push("its record matchers probably default to OR; AND here, as Classic");
    }
    if !s.always_enabled.value {
        diffs.push("it lost the opt-in gate (every identify/group flows); kept here");
    }
    let mut a = vec![asm::SEGMENT_GATE_LOST, asm::SEGMENT_SANDBOX];
    if s.lead_lookup.value.len() > 1 {
        a.push(asm::SEGMENT_AND);
    }
    r.item(
        "compared with Segment's 2023 migration",
        Status::Mapped,
        format!("{}.", diffs.join("; ")),
        &a,
    );
}
