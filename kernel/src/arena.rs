//! A slab of values named by generational handles.
//!
//! Invariant: a handle names the value it was issued for or nothing. Every slot
//! carries a generation that is bumped when its value is removed, so a handle
//! kept past a removal (stale) or made up (forged) never reaches the slot's next
//! occupant: there is no ABA after reuse.

use slab::Slab;

/// A generational handle into an [`Arena`]: slot index plus generation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Handle {
    index: u32,
    generation: u32,
}

impl Handle {
    /// Rebuilds a handle from its raw parts (for allegations from outside the kernel:
    /// the arena checks them on every use).
    pub const fn from_raw(index: u32, generation: u32) -> Self {
        Self { index, generation }
    }
    /// The slot index.
    pub const fn index(self) -> u32 {
        self.index
    }
    /// The slot generation.
    pub const fn generation(self) -> u32 {
        self.generation
    }
}

/// A slab whose slots carry generations.
#[derive(Debug, Clone)]
pub struct Arena<T> {
    slots: Slab<(u32, T)>,
    /// Generation to hand out next for each slot index ever used.
    generations: Vec<u32>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Self {
            slots: Slab::new(),
            generations: Vec::new(),
        }
    }
}

impl<T> Arena<T> {
    /// An empty arena with room for `n` values before it allocates again.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            slots: Slab::with_capacity(n),
            generations: Vec::with_capacity(n),
        }
    }

    /// Removes every value and forgets every generation (the next handles
    /// are those of a new arena), keeping the memory for up to `keep` values
    /// (a table that once grew far larger gives the rest back).
    pub fn clear(&mut self, keep: usize) {
        if self.slots.capacity() > keep {
            *self = Self::with_capacity(keep);
            return;
        }
        self.slots.clear();
        self.generations.clear();
    }

    /// Inserts a value and returns its handle.
    pub fn insert(&mut self, value: T) -> Handle {
        let entry = self.slots.vacant_entry();
        let index = entry.key();
        if index >= self.generations.len() {
            self.generations.resize(index + 1, 0);
        }
        let generation = self.generations[index];
        entry.insert((generation, value));
        Handle {
            index: index as u32,
            generation,
        }
    }

    /// The value a handle names, if it is still the one it was issued for.
    pub fn get(&self, h: Handle) -> Option<&T> {
        match self.slots.get(h.index as usize) {
            Some((g, v)) if *g == h.generation => Some(v),
            _ => None,
        }
    }

    /// Mutable access to the value a handle names.
    pub fn get_mut(&mut self, h: Handle) -> Option<&mut T> {
        match self.slots.get_mut(h.index as usize) {
            Some((g, v)) if *g == h.generation => Some(v),
            _ => None,
        }
    }

    /// Removes the value a handle names; later uses of the handle find nothing.
    pub fn remove(&mut self, h: Handle) -> Option<T> {
        self.get(h)?;
        let (_, v) = self.slots.remove(h.index as usize);
        self.generations[h.index as usize] = self.generations[h.index as usize].wrapping_add(1);
        Some(v)
    }

    /// Whether the handle names a live value.
    pub fn contains(&self, h: Handle) -> bool {
        self.get(h).is_some()
    }

    /// Number of live values.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no value is live.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Live values with their handles, in slot order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = (Handle, &T)> {
        self.slots.iter().map(|(i, (g, v))| {
            (
                Handle {
                    index: i as u32,
                    generation: *g,
                },
                v,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_forgets_generations_and_gives_back_what_it_keeps_no_more() {
        let mut a = Arena::with_capacity(4);
        let h = a.insert(1);
        a.remove(h);
        a.clear(8);
        // Handles start again as in a new arena, in the memory kept.
        assert_eq!(a.insert(2), Arena::default().insert(2));
        assert!(a.slots.capacity() >= 4);
        for i in 0..100 {
            a.insert(i);
        }
        a.clear(8);
        assert!(a.slots.capacity() <= 8, "{}", a.slots.capacity());
        assert!(a.get(Handle::from_raw(0, 0)).is_none());
    }

    #[test]
    fn stale_handle_never_reaches_the_next_occupant() {
        let mut a = Arena::default();
        let h1 = a.insert("first");
        assert_eq!(a.remove(h1), Some("first"));
        let h2 = a.insert("second");
        assert_eq!(h1.index(), h2.index());
        assert_eq!(a.get(h1), None);
        assert_eq!(a.get(h2), Some(&"second"));
        assert_eq!(a.remove(h1), None);
    }

    #[test]
    fn forged_handle_is_rejected() {
        let mut a = Arena::default();
        a.insert(1);
        assert_eq!(a.get(Handle::from_raw(0, 7)), None);
        assert_eq!(a.get(Handle::from_raw(99, 0)), None);
    }
}
