//! Lists of short names kept as one string, each name ended by a NUL.
//!
//! On a 32-bit device an array of string slices costs 8 bytes a name (12
//! beside a code byte, with padding) on top of the text; one string of
//! NUL-ended names costs the text and one byte a name. The reason-code names
//! and the property names are kept this way, each beside a byte table of
//! the codes they name, in the same order.

/// The names of `packed`, in order. Cut at byte offsets of the NULs (ASCII,
/// so every cut is on a character boundary): no UTF-8 check is needed.
pub fn names(packed: &'static str) -> impl Iterator<Item = &'static str> {
    let mut rest = packed;
    core::iter::from_fn(move || {
        let end = rest.bytes().position(|b| b == 0)?;
        let name = rest.get(..end)?;
        rest = rest.get(end + 1..)?;
        Some(name)
    })
}

/// The name at `index` in `packed` (`None`: fewer names).
pub fn nth(packed: &'static str, index: usize) -> Option<&'static str> {
    names(packed).nth(index)
}

/// Where `name` is in `packed` (`None`: not there).
pub fn index_of(packed: &'static str, name: &[u8]) -> Option<usize> {
    names(packed).position(|n| n.as_bytes() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: &str = "one\0two\0\0four\0";

    #[test]
    fn names_are_cut_at_each_nul_and_an_unended_tail_is_no_name() {
        assert!(names(THREE).eq(["one", "two", "", "four"]));
        assert!(names("a\0tail").eq(["a"]));
        assert_eq!(names("").count(), 0);
    }

    #[test]
    fn nth_and_index_of_agree() {
        for (i, n) in names(THREE).enumerate() {
            assert_eq!(nth(THREE, i), Some(n));
            assert_eq!(index_of(THREE, n.as_bytes()), Some(i));
        }
        assert_eq!(nth(THREE, 4), None);
        assert_eq!(index_of(THREE, b"fou"), None);
        assert_eq!(index_of(THREE, b"four\0"), None);
    }
}
