//! ACLED's event taxonomy: 6 event types and their 25 sub-event types.

/// (event_type, its sub_event_types), exactly as ACLED spells them.
pub const EVENT_TYPES: &[(&str, &[&str])] = &[
    (
        "Battles",
        &[
            "Armed clash",
            "Government regains territory",
            "Non-state actor overtakes territory",
        ],
    ),
    (
        "Explosions/Remote violence",
        &[
            "Chemical weapon",
            "Air/drone strike",
            "Suicide bomb",
            "Shelling/artillery/missile attack",
            "Remote explosive/landmine/IED",
            "Grenade",
        ],
    ),
    (
        "Violence against civilians",
        &[
            "Sexual violence",
            "Attack",
            "Abduction/forced disappearance",
        ],
    ),
    (
        "Protests",
        &[
            "Peaceful protest",
            "Protest with intervention",
            "Excessive force against protesters",
        ],
    ),
    ("Riots", &["Violent demonstration", "Mob violence"]),
    (
        "Strategic developments",
        &[
            "Agreement",
            "Arrests",
            "Change to group/activity",
            "Disrupted weapons use",
            "Headquarters or base established",
            "Looting/property destruction",
            "Non-violent transfer of territory",
            "Other",
        ],
    ),
];

/// Checks an event type / sub-event type pair; the error says which part is wrong.
pub fn check(event_type: &str, sub_event_type: &str) -> Result<(), TaxonomyError> {
    let Some((_, subs)) = EVENT_TYPES.iter().find(|(t, _)| *t == event_type) else {
        return Err(TaxonomyError::EventType);
    };
    if subs.contains(&sub_event_type) {
        Ok(())
    } else {
        Err(TaxonomyError::SubEventType(subs))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxonomyError {
    EventType,
    SubEventType(&'static [&'static str]),
}

impl TaxonomyError {
    pub fn reason(&self) -> String {
        match self {
            TaxonomyError::EventType => format!(
                "not an ACLED event type; expected one of: {}",
                EVENT_TYPES
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TaxonomyError::SubEventType(subs) => format!(
                "not a sub-event type of this event type; expected one of: {}",
                subs.join(", ")
            ),
        }
    }
}

/// ACLED's `disorder_type`, derived from the event and sub-event type.
pub fn disorder_type(event_type: &str, sub_event_type: &str) -> &'static str {
    match (event_type, sub_event_type) {
        ("Protests", "Excessive force against protesters") => "Political violence; Demonstrations",
        ("Protests", _) | ("Riots", "Violent demonstration") => "Demonstrations",
        ("Strategic developments", _) => "Strategic developments",
        _ => "Political violence",
    }
}

/// The event types, for the enum of the `event_type` queryable.
pub fn event_types() -> Vec<&'static str> {
    EVENT_TYPES.iter().map(|(t, _)| *t).collect()
}

/// Every sub-event type, for the enum of the `sub_event_type` queryable.
pub fn sub_event_types() -> Vec<&'static str> {
    EVENT_TYPES
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .collect()
}

/// The values `disorder_type` can take.
pub fn disorder_types() -> Vec<&'static str> {
    vec![
        "Political violence",
        "Political violence; Demonstrations",
        "Demonstrations",
        "Strategic developments",
    ]
}

/// Event types that mean fighting: the default input of clash zones.
pub const FIGHTING: &[&str] = &["Battles", "Explosions/Remote violence"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_types_twenty_five_subtypes() {
        assert_eq!(EVENT_TYPES.len(), 6);
        assert_eq!(EVENT_TYPES.iter().map(|(_, s)| s.len()).sum::<usize>(), 25);
        assert_eq!(sub_event_types().len(), 25);
    }

    #[test]
    fn disorder_types_cover_every_pair() {
        for (t, subs) in EVENT_TYPES {
            for s in *subs {
                assert!(disorder_types().contains(&disorder_type(t, s)), "{t} / {s}");
            }
        }
    }

    #[test]
    fn pairs_are_checked() {
        assert!(check("Battles", "Armed clash").is_ok());
        assert_eq!(
            check("Battle", "Armed clash"),
            Err(TaxonomyError::EventType)
        );
        assert!(matches!(
            check("Battles", "Air/drone strike"),
            Err(TaxonomyError::SubEventType(_))
        ));
    }
}
