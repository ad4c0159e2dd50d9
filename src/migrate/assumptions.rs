//! Every assumption the migration makes. `classic-settings.md` marks each rule it could not
//! source as [ASM] (unknown from public sources) or [INF] (inferred from public code Classic very
//! probably used). The report names each one that applies; none is applied silently.

use serde::Serialize;

/// The basis of an assumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Basis {
    /// Unknown from public sources: a guess, stated as one.
    #[serde(rename = "ASM")]
    Assumed,
    /// Inferred from public code Classic very probably used (`facade`, `obj-case`).
    #[serde(rename = "INF")]
    Inferred,
}

impl Basis {
    pub fn tag(self) -> &'static str {
        match self {
            Basis::Assumed => "ASM",
            Basis::Inferred => "INF",
        }
    }
}

/// One assumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Assumption {
    pub id: &'static str,
    pub basis: Basis,
    pub text: &'static str,
}

macro_rules! assumptions {
    ($( $name:ident = $id:literal, $basis:ident, $text:literal; )*) => {
        $( pub const $name: Assumption = Assumption { id: $id, basis: Basis::$basis, text: $text }; )*
        /// All of them, in catalog order.
        pub const ALL: &[Assumption] = &[ $( $name, )* ];
    };
}

assumptions! {
    DEFAULTS = "missing-settings-defaults", Assumed,
        "Segment's APIs may return only the settings a user saved; every missing key takes the documented Classic default (billing true, version \"2\", alwaysEnabled false, sandbox false, shipping false, no lookup fields, no custom actions).";
    CONFIG_TYPES = "config-api-types", Assumed,
        "Config API `type` strings for map, mixed, select and password settings are not documented; they are ignored and the JSON type of each value is used instead.";
    TOKEN_CENSORING = "token-censoring", Assumed,
        "Whether the Public API censors `securityToken` (catalog type string, not password) is unknown; any password or token not made of `•` characters is treated as a secret in clear text.";
    STANDARD_FILTER = "standard-integrations-filter", Inferred,
        "With alwaysEnabled true, Classic applied Segment's usual integrations filter: an event is dropped when `integrations.Salesforce` is false, or when `integrations.All` is false and `integrations.Salesforce` is not true.";
    SEGMENT_GATE_LOST = "segment-migration-gate", Inferred,
        "Segment's 2023 migration apparently dropped the opt-in gate (its triggers are plain `type = \"identify\"`/`\"group\"`, and the Actions destination is keyed `Salesforce (Actions)` in the integrations object).";
    LOOKUP_KEY = "lookup-key-ambiguous", Assumed,
        "A leadLookupFields key that contains a dot or is exactly `userId`/`anonymousId` may name a trait or an event field (the docs say \"trait name\"); the matcher reads the trait first, then the event field.";
    LOOKUP_MISSING = "lookup-missing-value", Assumed,
        "Classic's behaviour with a missing lookup value, several matching Leads or a converted Lead is not documented; sfmap fails such an event for the mapping (UNDEFINED_MATCHER, MULTIPLE_MATCHES) instead of guessing.";
    SEGMENT_AND = "segment-migration-and", Assumed,
        "Whether Segment's migration set its record-matcher operator to AND is not documented; Actions defaults to OR.";
    NAME_SPLIT = "name-split", Inferred,
        "Classic (segmentio/facade) split `traits.name` at the first space when firstName/lastName were absent.";
    ADDRESS = "address-traits", Inferred,
        "Classic (facade) read address traits from `traits.address.X`, then `traits.X`; the postal code also from `postal_code` and `zip`.";
    CASE_TOLERANCE = "key-case-tolerance", Inferred,
        "Classic (obj-case) matched trait keys ignoring case and punctuation; the migrated mappings read the camelCase and snake_case spellings only.";
    TITLE = "title-traits", Inferred,
        "Lead Title also came from the `position` and `jobTitle` traits (facade getters).";
    CUSTOM_TRAITS = "custom-trait-exclusions", Assumed,
        "Which traits Classic did not send as `<trait>__c` is unknown; Segment-spec traits without a Salesforce field (id, anonymousId, avatar, age, birthday, gender, username, createdAt) and status are excluded, and objects, arrays and nulls are never sent (supported only by RudderStack's copy of Classic's behaviour).";
    INDUSTRY = "account-industry", Assumed,
        "`industry` is a facade getter but not in Classic's documented Account body; it is neither mapped to Industry nor sent as `industry__c`.";
    V1 = "version-1", Assumed,
        "Classic's V1 internals are unknown; a V1 destination gets the identify → Lead mapping only (group → Account needed V2).";
    ACTIONS_SHAPE = "custom-actions-shape", Assumed,
        "The JSON shape of the `actions` setting is not public; the normalized shape `{eventType, eventName, configurations: [{crudOperation, salesforceObject, fieldMappings, upsertRules}]}` and a few aliases are accepted.";
    UPSERT_KEY_WRITTEN = "upsert-rule-values-written", Assumed,
        "A custom upsert also writes its upsert-rule values as fields, so that a created record carries its match key (otherwise every later event would create a duplicate).";
    DELETE_BY_ID = "delete-by-id", Assumed,
        "A custom delete found its record by the field mapped to `Id`, as update did.";
    IDENTIFY_DEFAULT = "identify-action-and-default-lead", Assumed,
        "Whether a custom identify action replaced Classic's default identify → Lead upsert is ambiguous; the default Lead mapping is kept (as Segment's migration did) unless `--identify-default drop` is given.";
    SEGMENT_ACTIONS = "segment-migration-custom-actions", Inferred,
        "Segment's migration turned each custom action configuration into a Custom Object mapping with its operation and trigger, probably with OR record matchers.";
    SEGMENT_SANDBOX = "segment-migration-sandbox", Inferred,
        "Segment's migration very probably copied `sandbox` to the Actions `isSandbox` setting.";
}
