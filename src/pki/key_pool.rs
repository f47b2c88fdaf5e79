//! Keys made in the background, on every core, before they are asked for.
//!
//! RSA key generation is a random search for two primes: one RSA-2048 key
//! takes anything from a quarter to twice its mean time. A fixed split of a
//! few keys over the cores leaves a core idle while the last key is still
//! searched for (5 keys on 2 cores: one core makes the fifth alone). So a
//! worker with no key left to start makes another attempt at a key still
//! being made, and the first one done is kept: the tail is the quicker of two
//! searches. The attempt that loses is not waited for (its thread ends when
//! its search does, or with the process), and its thread gets the lowest
//! CPU priority (nice 19), so it no longer slows what comes after the keys.
//!
//! Written by hand: no crate hands out "the first N results of racing
//! jobs" without waiting for the losers (rayon and std's scoped threads
//! join every job).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rcgen::KeyPair;

use super::{KeyType, Result};

#[derive(Default)]
struct State {
    /// Keys not started yet, in the order given.
    todo: VecDeque<KeyType>,
    /// Per key type: how many keys are still to be made (started or not).
    short: Vec<(KeyType, usize)>,
    /// Keys made and not yet taken.
    ready: Vec<(KeyType, KeyPair)>,
    /// The attempts being made: their type and their thread.
    making: Vec<(KeyType, rustix::thread::Pid)>,
}

impl State {
    fn short(&mut self, t: KeyType) -> &mut usize {
        if let Some(i) = self.short.iter().position(|(k, _)| *k == t) {
            return &mut self.short[i].1;
        }
        self.short.push((t, 0));
        let last = self.short.len() - 1;
        &mut self.short[last].1
    }

    /// What a free worker makes next: a key not started yet, else another
    /// attempt at one still short (the one most short first).
    fn next(&mut self) -> Option<KeyType> {
        if let Some(t) = self.todo.pop_front() {
            return Some(t);
        }
        let most = self
            .short
            .iter()
            .filter(|(_, n)| *n > 0)
            .max_by_key(|(_, n)| *n);
        most.map(|(t, _)| *t)
    }
}

type Shared = Arc<(Mutex<State>, Condvar)>;

fn lock(s: &Shared) -> MutexGuard<'_, State> {
    s.0.lock().unwrap_or_else(|p| p.into_inner())
}

/// Keys being made in the background (see the module's doc).
pub struct KeyPool {
    shared: Shared,
}

impl KeyPool {
    /// Starts making one key of each type in `types`, in that order, on
    /// every core.
    pub fn start(types: Vec<KeyType>) -> KeyPool {
        let mut state = State::default();
        for t in &types {
            *state.short(*t) += 1;
        }
        state.todo = types.into();
        let shared: Shared = Arc::new((Mutex::new(state), Condvar::new()));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for _ in 0..cores.min(lock(&shared).todo.len()) {
            let shared = shared.clone();
            std::thread::spawn(move || work(&shared));
        }
        KeyPool { shared }
    }

    /// A key of type `t`: one made already, else the next one done, else
    /// (none was asked for at the start) one made now on this thread.
    pub fn take(&self, t: KeyType) -> Result<KeyPair> {
        let mut s = lock(&self.shared);
        loop {
            if let Some(i) = s.ready.iter().position(|(k, _)| *k == t) {
                return Ok(s.ready.swap_remove(i).1);
            }
            if *s.short(t) == 0 {
                drop(s);
                return t.generate();
            }
            s = self.shared.1.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// One key of type `t` fewer is needed (one asked for at the start that
    /// turned out not to be): it is not started if it has not been.
    pub fn forgo(&self, t: KeyType) {
        let mut s = lock(&self.shared);
        if let Some(i) = s.todo.iter().rposition(|k| *k == t) {
            s.todo.remove(i);
        }
        let n = s.short(t);
        *n = n.saturating_sub(1);
    }
}

impl Drop for KeyPool {
    /// Nothing more is started; keys being made are let go.
    fn drop(&mut self) {
        let mut s = lock(&self.shared);
        s.todo.clear();
        s.short.clear();
        s.ready.clear();
    }
}

/// A worker: makes keys until none is short.
fn work(shared: &Shared) {
    loop {
        let me = rustix::thread::gettid();
        let Some(t) = lock(shared).next() else { return };
        lock(shared).making.push((t, me));
        let made = t.generate();
        let mut s = lock(shared);
        s.making.retain(|(_, tid)| *tid != me);
        let short = s.short(t);
        if *short == 0 {
            continue; // another attempt was quicker, or the pool is gone
        }
        *short -= 1;
        if *short == 0 {
            lose(&s.making, t);
        }
        let failed = made.is_err();
        // A failure is not retried here: the next take of this type finds
        // none short, makes the key itself and reports the error.
        if let Ok(k) = made {
            s.ready.push((t, k));
        }
        shared.1.notify_all();
        if failed {
            return;
        }
    }
}

/// The attempts still making a key of type `t` that is no longer needed
/// get the lowest priority: they no longer take a core from what needs one.
fn lose(making: &[(KeyType, rustix::thread::Pid)], t: KeyType) {
    for (_, tid) in making.iter().filter(|(k, _)| *k == t) {
        // PRIO_PROCESS with a thread id sets that thread's nice value (Linux);
        // a failure only costs speed.
        let _ = rustix::process::setpriority_process(Some(*tid), 19);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_each_key_asked_for_then_makes_more_on_demand() {
        let pool = KeyPool::start(vec![KeyType::EcP256, KeyType::EcP384, KeyType::EcP256]);
        let a = pool.take(KeyType::EcP256).unwrap();
        let b = pool.take(KeyType::EcP256).unwrap();
        assert_ne!(a.public_key_raw(), b.public_key_raw());
        assert!(pool.take(KeyType::EcP384).is_ok());
        // Not asked for at the start: made on this thread.
        assert!(pool.take(KeyType::EcP256).is_ok());
    }

    #[test]
    fn a_forgone_key_is_not_waited_for() {
        let pool = KeyPool::start(vec![KeyType::EcP256, KeyType::EcP384]);
        pool.forgo(KeyType::EcP384);
        assert!(pool.take(KeyType::EcP256).is_ok());
        // Short by none: made here rather than waited for forever.
        assert!(pool.take(KeyType::EcP384).is_ok());
    }

    #[test]
    fn racing_attempts_leave_one_key_per_request() {
        // Two keys on two workers: the first done races the other.
        let pool = KeyPool::start(vec![KeyType::EcP256, KeyType::EcP256]);
        let _ = pool.take(KeyType::EcP256).unwrap();
        let _ = pool.take(KeyType::EcP256).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let s = lock(&pool.shared);
        assert!(s.ready.is_empty(), "a losing attempt is not kept");
        assert!(s.making.is_empty(), "every attempt has ended");
        assert_eq!(*s.short.iter().map(|(_, n)| n).max().unwrap(), 0);
    }
}
