//! A SUBSCRIBE's options (3.8.3.1): the QoS, and MQTT 5's No Local, Retain
//! As Published, Retain Handling and Subscription Identifier (3.8.2.1.2),
//! packed from a caller's values and checked against their ranges and the
//! protocol level, so that a caller can say which value was wrong.

/// A SUBSCRIBE's options: the MQTT 5 options byte (QoS in the low two
/// bits; No Local, Retain As Published and Retain Handling above them) and
/// a Subscription Identifier (0: none). 3.1.1 takes the QoS alone.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub struct SubOptions {
    pub options: u8,
    pub id: u32,
}

/// The largest Subscription Identifier (a Variable Byte Integer, 1..=this).
pub const MAX_ID: u32 = 268_435_455;

/// The option [`SubOptions::new`] refused.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "debug"), derive(Debug))]
pub enum BadSubOption {
    /// QoS above 2.
    Qos,
    /// Retain Handling above 2.
    RetainHandling,
    /// A Subscription Identifier outside 1..=[`MAX_ID`].
    Id,
    /// No Local, Retain As Published, Retain Handling or a Subscription
    /// Identifier asked for below protocol level 5 (or without MQTT 5).
    NeedsV5,
}

impl BadSubOption {
    /// The values a refused option may take, `lo..=hi` (`NeedsV5`: any
    /// value, at level 5; its range here is meaningless). Not a table of
    /// all four: smaller on a device.
    pub const fn range(self) -> (u32, u32) {
        match self {
            BadSubOption::Id => (1, MAX_ID),
            _ => (0, 2),
        }
    }
}

impl SubOptions {
    pub const fn qos(qos: u8) -> Self {
        SubOptions {
            options: qos,
            id: 0,
        }
    }

    /// The options of a SUBSCRIBE under protocol `level`, from a caller's
    /// values (of any size: they are checked here), in the order a script
    /// gives them: the QoS, Retain Handling and the identifier (`None`:
    /// none) within their ranges, then anything but the QoS only at level 5.
    pub fn new(
        level: u8,
        qos: u32,
        no_local: bool,
        retain_as_published: bool,
        retain_handling: u32,
        id: Option<u32>,
    ) -> Result<Self, BadSubOption> {
        if qos > 2 {
            return Err(BadSubOption::Qos);
        }
        if retain_handling > 2 {
            return Err(BadSubOption::RetainHandling);
        }
        let id = match id {
            None => 0,
            Some(v @ 1..=MAX_ID) => v,
            Some(_) => return Err(BadSubOption::Id),
        };
        let flags = u8::from(no_local) << 2
            | u8::from(retain_as_published) << 3
            | (retain_handling as u8) << 4;
        if (flags != 0 || id != 0) && !(cfg!(feature = "mqtt5") && level == 5) {
            return Err(BadSubOption::NeedsV5);
        }
        Ok(SubOptions {
            options: qos as u8 | flags,
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qos_alone_packs_at_every_level() {
        for level in [3, 4, 5] {
            for qos in 0..=2 {
                assert_eq!(
                    SubOptions::new(level, qos, false, false, 0, None),
                    Ok(SubOptions::qos(qos as u8))
                );
            }
        }
    }

    #[cfg(feature = "mqtt5")]
    #[test]
    fn mqtt5_options_pack_into_their_bits() {
        let o = |nl, rap, rh, id| SubOptions::new(5, 1, nl, rap, rh, id);
        assert_eq!(o(true, false, 0, None).map(|s| s.options), Ok(0b0000_0101));
        assert_eq!(o(false, true, 0, None).map(|s| s.options), Ok(0b0000_1001));
        assert_eq!(o(false, false, 2, None).map(|s| s.options), Ok(0b0010_0001));
        assert_eq!(
            o(true, true, 1, Some(7)),
            Ok(SubOptions {
                options: 0b0001_1101,
                id: 7
            })
        );
        assert_eq!(o(false, false, 0, Some(MAX_ID)).map(|s| s.id), Ok(MAX_ID));
    }

    #[test]
    fn values_out_of_range_name_their_option_at_any_level() {
        for level in [3, 4, 5] {
            let o = |qos, rh, id| SubOptions::new(level, qos, false, false, rh, id);
            assert_eq!(o(3, 0, None), Err(BadSubOption::Qos));
            assert_eq!(o(u32::MAX, 0, None), Err(BadSubOption::Qos));
            assert_eq!(o(1, 3, None), Err(BadSubOption::RetainHandling));
            assert_eq!(o(1, u32::MAX, None), Err(BadSubOption::RetainHandling));
            assert_eq!(o(1, 0, Some(0)), Err(BadSubOption::Id));
            assert_eq!(o(1, 0, Some(MAX_ID + 1)), Err(BadSubOption::Id));
            assert_eq!(
                o(9, 9, Some(0)),
                Err(BadSubOption::Qos),
                "the first one named"
            );
        }
    }

    #[test]
    fn options_beyond_the_qos_need_level_5() {
        let cases = [
            (true, false, 0, None),
            (false, true, 0, None),
            (false, false, 1, None),
            (false, false, 0, Some(1)),
        ];
        for level in [3, 4] {
            for (nl, rap, rh, id) in cases {
                assert_eq!(
                    SubOptions::new(level, 0, nl, rap, rh, id),
                    Err(BadSubOption::NeedsV5),
                    "{level} {nl} {rap} {rh} {id:?}"
                );
            }
        }
        for (nl, rap, rh, id) in cases {
            let r = SubOptions::new(5, 0, nl, rap, rh, id);
            assert_eq!(r.is_ok(), cfg!(feature = "mqtt5"), "{r:?}");
        }
    }

    #[test]
    fn each_refusal_has_its_range() {
        assert_eq!(BadSubOption::Qos.range(), (0, 2));
        assert_eq!(BadSubOption::RetainHandling.range(), (0, 2));
        assert_eq!(BadSubOption::Id.range(), (1, 268_435_455));
    }
}
