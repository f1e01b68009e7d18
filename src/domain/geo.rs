//! Where a worker checked in: a point from the browser's geolocation, and
//! its distance to the recipient's registered home.
use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS-84 point (what browsers report).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GeoError {
    #[error("latitude must lie between -90 and 90")]
    Latitude,
    #[error("longitude must lie between -180 and 180")]
    Longitude,
    #[error("accuracy must be a positive number of metres")]
    Accuracy,
}

impl GeoError {
    #[must_use]
    pub const fn message_key(self) -> &'static str {
        match self {
            Self::Latitude => "error-latitude",
            Self::Longitude => "error-longitude",
            Self::Accuracy => "error-accuracy",
        }
    }
}

impl Point {
    /// # Errors
    /// A coordinate out of range or not a number.
    pub fn new(lat: f64, lon: f64) -> Result<Self, GeoError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(GeoError::Latitude);
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(GeoError::Longitude);
        }
        Ok(Self { lat, lon })
    }

    /// Great-circle distance in metres (haversine; good to a few metres
    /// at the distances that matter here).
    #[must_use]
    pub fn distance_m(self, other: Self) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

/// The reported accuracy (metres), when it is a sensible number.
///
/// # Errors
/// Negative, zero or not a number.
pub fn accuracy(m: f64) -> Result<f64, GeoError> {
    if m.is_finite() && m > 0.0 && m < 1.0e7 {
        Ok(m)
    } else {
        Err(GeoError::Accuracy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    // Bazhong city centre to Pingchang, as the crow flies (checked in Python).
    #[case((31.8676, 106.7478), (31.5627, 107.1040), 47_700.0, 47_900.0)]
    // One degree of latitude.
    #[case((30.0, 106.0), (31.0, 106.0), 111_100.0, 111_300.0)]
    // A village house 300 m east.
    #[case((31.85, 106.75), (31.85, 106.753_17), 295.0, 305.0)]
    #[case((0.0, 179.9999), (0.0, -179.9999), 20.0, 25.0)]
    fn distances(#[case] a: (f64, f64), #[case] b: (f64, f64), #[case] lo: f64, #[case] hi: f64) {
        let d = Point::new(a.0, a.1)
            .unwrap()
            .distance_m(Point::new(b.0, b.1).unwrap());
        assert!((lo..=hi).contains(&d), "{d}");
    }

    #[rstest]
    #[case(91.0, 0.0, GeoError::Latitude)]
    #[case(f64::NAN, 0.0, GeoError::Latitude)]
    #[case(0.0, -180.5, GeoError::Longitude)]
    #[case(0.0, f64::INFINITY, GeoError::Longitude)]
    fn bad_points(#[case] lat: f64, #[case] lon: f64, #[case] e: GeoError) {
        assert_eq!(Point::new(lat, lon), Err(e));
    }

    proptest! {
        #[test]
        fn distance_is_a_metric(a in (-89.0f64..89.0, -179.0f64..179.0), b in (-89.0f64..89.0, -179.0f64..179.0)) {
            let (p, q) = (Point::new(a.0, a.1).unwrap(), Point::new(b.0, b.1).unwrap());
            prop_assert!(p.distance_m(p) < 1e-6);
            prop_assert!((p.distance_m(q) - q.distance_m(p)).abs() < 1e-6);
            prop_assert!(p.distance_m(q) <= std::f64::consts::PI * EARTH_RADIUS_M + 1.0);
        }
    }
}
