//! Derived layers: collections computed from the stored records (clash zones, displacement).

pub mod clash_zones;
pub mod clustering;
pub mod displacement;
pub mod feature_set;
pub mod zone_shape;
