//! Presets: named sets of field mappings written in `.sfmap` syntax, expanded by `use`.
//!
//! The Classic presets are Segment's documented Classic → Actions migration tables
//! (`segment-behaviour.md` §10); `segment.defaults` is the Actions default field mappings (§3.2).

/// A preset's fields for an object, as `fields { ... }` entries, or `None` if the preset does
/// not exist. `Some(Err(objects))` when it exists but not for this object.
pub fn lookup(name: &str, object: &str) -> Option<Result<&'static str, &'static [&'static str]>> {
    let object = object.to_ascii_lowercase();
    let (objects, body): (&'static [&'static str], Option<&'static str>) = match name {
        "classic.lead" => (&["Lead"], (object == "lead").then_some(CLASSIC_LEAD)),
        "classic.account.billing" => (&["Account"], (object == "account").then_some(BILLING)),
        "classic.account.shipping" => (&["Account"], (object == "account").then_some(SHIPPING)),
        "segment.defaults" => (
            &["Lead", "Account", "Contact"],
            match object.as_str() {
                "lead" => Some(DEFAULTS_LEAD),
                "account" => Some(DEFAULTS_ACCOUNT),
                "contact" => Some(DEFAULTS_CONTACT),
                _ => None,
            },
        ),
        _ => return None,
    };
    Some(body.ok_or(objects))
}

/// The names of all presets, for suggestions.
pub const NAMES: &[&str] = &[
    "classic.lead",
    "classic.account.billing",
    "classic.account.shipping",
    "segment.defaults",
];

const CLASSIC_LEAD: &str = r#"
Name = traits.name
Phone = coalesce(traits.phone, traits.phoneNumber)
Title = coalesce(traits.address.title, traits.position)
Website = traits.website
Description = traits.description
LeadSource = traits.leadSource
"#;

const BILLING: &str = r#"
BillingStreet = coalesce(traits.address.street, traits.street)
BillingCity = coalesce(traits.address.city, traits.city)
BillingState = coalesce(traits.address.state, traits.state)
BillingCountry = coalesce(traits.address.country, traits.country)
BillingPostalCode = coalesce(traits.address.postalCode, traits.postalCode)
"#;

const SHIPPING: &str = r#"
ShippingStreet = coalesce(traits.address.street, traits.street)
ShippingCity = coalesce(traits.address.city, traits.city)
ShippingState = coalesce(traits.address.state, traits.state)
ShippingCountry = coalesce(traits.address.country, traits.country)
ShippingPostalCode = coalesce(traits.address.postalCode, traits.postalCode)
"#;

const DEFAULTS_LEAD: &str = r#"
LastName = coalesce(traits.last_name, properties.last_name)
Company = coalesce(traits.company, properties.company)
FirstName = coalesce(traits.first_name, properties.first_name)
State = coalesce(traits.address.state, properties.address.state)
Street = coalesce(traits.address.street, properties.address.street)
Country = coalesce(traits.address.country, properties.address.country)
PostalCode = coalesce(traits.address.postal_code, properties.address.postal_code)
City = coalesce(traits.address.city, properties.address.city)
Email = coalesce(traits.email, properties.email)
"#;

const DEFAULTS_ACCOUNT: &str = r#"
Name = traits.name
AccountNumber = groupId
NumberOfEmployees = coalesce(traits.employees, properties.employees)
BillingCity = coalesce(traits.address.city, properties.address.city)
BillingPostalCode = coalesce(traits.address.postal_code, properties.address.postal_code)
BillingCountry = coalesce(traits.address.country, properties.address.country)
BillingStreet = coalesce(traits.address.street, properties.address.street)
BillingState = coalesce(traits.address.state, properties.address.state)
Phone = coalesce(traits.phone, properties.phone)
Description = coalesce(traits.description, properties.description)
Website = coalesce(traits.website, properties.website)
"#;

const DEFAULTS_CONTACT: &str = r#"
LastName = coalesce(traits.last_name, properties.last_name)
FirstName = coalesce(traits.first_name, properties.first_name)
Email = coalesce(traits.email, properties.email)
MailingState = coalesce(traits.address.state, properties.address.state)
MailingStreet = coalesce(traits.address.street, properties.address.street)
MailingCountry = coalesce(traits.address.country, properties.address.country)
MailingPostalCode = coalesce(traits.address.postal_code, properties.address.postal_code)
MailingCity = coalesce(traits.address.city, properties.address.city)
"#;
