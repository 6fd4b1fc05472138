//! Derived layers: collections computed from the stored records (clash zones, displacement).

pub mod clash_zones;
pub mod clustering;
pub mod displacement;
pub mod features;
pub mod zone_shape;
