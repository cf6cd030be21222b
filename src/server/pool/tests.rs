use super::*;

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, d)
}

fn ips(range: std::ops::RangeInclusive<u8>) -> Vec<Ipv4Addr> {
    range.map(ip).collect()
}

fn slot(index: usize, local: u8, remote: u8) -> Slot {
    Slot {
        index,
        local: Some(ip(local)),
        remote: Some(ip(remote)),
    }
}

fn pool(local: &[Ipv4Addr], remote: &[Ipv4Addr], connections: usize) -> AddressPool {
    AddressPool::new(local, remote, connections, false).0
}

#[test]
fn one_local_address_is_shared_by_every_slot() {
    let (mut p, warnings) = AddressPool::new(&[ip(1)], &ips(10..=12), 3, false);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(p.capacity(), 3);
    assert_eq!(p.acquire(), Some(slot(0, 1, 10)));
    assert_eq!(p.acquire(), Some(slot(1, 1, 11)));
    assert_eq!(p.acquire(), Some(slot(2, 1, 12)));
    assert_eq!(p.acquire(), None);
    assert_eq!(p.in_use(), 3);
}

#[test]
fn several_local_addresses_pair_with_remote_ones_in_order() {
    let mut p = pool(&ips(1..=3), &ips(10..=12), 100);
    assert_eq!(p.acquire(), Some(slot(0, 1, 10)));
    assert_eq!(p.acquire(), Some(slot(1, 2, 11)));
    assert_eq!(p.acquire(), Some(slot(2, 3, 12)));
    assert_eq!(p.acquire(), None);
}

#[test]
fn too_few_addresses_reduce_the_connections_and_the_limit_holds() {
    // poptop logs the reduction, then hands out slots with no address (reference §2.4).
    let (mut p, warnings) = AddressPool::new(&[ip(1)], &ips(10..=12), 100, false);
    assert_eq!(
        warnings,
        ["pptpd: connections reduced from 100 to 3: not enough addresses (3 remote, 1 local)"]
    );
    assert_eq!(p.capacity(), 3);
    for _ in 0..3 {
        assert!(p.acquire().is_some());
    }
    assert_eq!(p.acquire(), None);
    // The shorter list decides when there are several local addresses.
    let (p, warnings) = AddressPool::new(&ips(1..=2), &ips(10..=14), 100, false);
    assert_eq!(p.capacity(), 2);
    assert_eq!(
        warnings,
        [
            "pptpd: connections reduced from 100 to 2: not enough addresses (5 remote, 2 local)",
            "pptpd: 3 remote addresses beyond the 2 slots are unused",
        ]
    );
}

#[test]
fn addresses_beyond_connections_are_unused_with_a_warning() {
    let (mut p, warnings) = AddressPool::new(&ips(1..=5), &ips(10..=16), 2, false);
    assert_eq!(p.capacity(), 2);
    assert_eq!(
        warnings,
        [
            "pptpd: 5 remote addresses beyond the 2 slots are unused",
            "pptpd: 3 local addresses beyond the 2 slots are unused",
        ]
    );
    assert_eq!(p.acquire(), Some(slot(0, 1, 10)));
    assert_eq!(p.acquire(), Some(slot(1, 2, 11)));
    assert_eq!(p.acquire(), None);
}

#[test]
fn no_addresses_means_no_slots() {
    let (mut p, warnings) = AddressPool::new(&[], &ips(10..=12), 5, false);
    assert_eq!(p.capacity(), 0);
    assert_eq!(p.acquire(), None);
    assert_eq!(
        warnings[0],
        "pptpd: connections reduced from 5 to 0: not enough addresses (3 remote, 0 local)"
    );
    let (mut p, _) = AddressPool::new(&[ip(1)], &[], 5, false);
    assert_eq!(p.acquire(), None);
}

#[test]
fn the_lowest_free_slot_is_reused_first() {
    let mut p = pool(&[ip(1)], &ips(10..=13), 4);
    let taken: Vec<Slot> = (0..4).filter_map(|_| p.acquire()).collect();
    assert_eq!(taken.len(), 4);
    assert!(p.release(2));
    assert!(p.release(1));
    assert_eq!(p.in_use(), 2);
    assert_eq!(p.acquire(), Some(slot(1, 1, 11)));
    assert_eq!(p.acquire(), Some(slot(2, 1, 12)));
    assert_eq!(p.acquire(), None);
}

#[test]
fn double_release_is_reported_and_harmless() {
    let mut p = pool(&[ip(1)], &ips(10..=11), 2);
    let s = p.acquire().expect("slot");
    assert!(p.release(s.index));
    assert!(!p.release(s.index));
    assert!(!p.release(99));
    assert_eq!(p.in_use(), 0);
    assert_eq!(p.get(0), None);
    assert_eq!(p.acquire(), Some(s));
    assert_eq!(p.get(0), Some(s));
}

#[test]
fn delegate_has_connections_slots_without_addresses() {
    // poptop did not count connections in delegate mode (reference §2.4).
    let (mut p, warnings) = AddressPool::new(&[ip(1)], &ips(10..=10), 3, true);
    assert!(warnings.is_empty());
    assert_eq!(p.capacity(), 3);
    for index in 0..3 {
        assert_eq!(
            p.acquire(),
            Some(Slot {
                index,
                local: None,
                remote: None
            })
        );
    }
    assert_eq!(p.acquire(), None);
    assert!(p.release(1));
    assert_eq!(p.acquire().map(|s| s.index), Some(1));
}

#[test]
fn delegate_with_a_huge_limit_allocates_nothing_up_front() {
    let (mut p, _) = AddressPool::new(&[], &[], i32::MAX as usize, true);
    assert_eq!(p.capacity(), i32::MAX as usize);
    assert_eq!(p.acquire().map(|s| s.index), Some(0));
    assert_eq!(p.acquire().map(|s| s.index), Some(1));
}

// ==== Reconfiguration ====

#[test]
fn reconfigure_keeps_slots_in_use_and_hands_out_new_addresses() {
    let mut p = pool(&[ip(1)], &ips(10..=12), 3);
    let a = p.acquire().expect("a");
    let b = p.acquire().expect("b");
    assert_eq!((a, b), (slot(0, 1, 10), slot(1, 1, 11)));
    p.reconfigure(pool(&[ip(2)], &ips(20..=23), 4));
    assert_eq!(p.capacity(), 4);
    assert_eq!(p.in_use(), 2);
    // The old clients keep their slots and addresses.
    assert_eq!(p.get(0), Some(a));
    assert_eq!(p.get(1), Some(b));
    // New clients get new addresses, from indices the old ones do not hold.
    assert_eq!(p.acquire(), Some(slot(2, 2, 22)));
    assert_eq!(p.acquire(), Some(slot(3, 2, 23)));
    assert_eq!(p.acquire(), None);
    assert!(p.release(0));
    assert_eq!(p.acquire(), Some(slot(0, 2, 20)));
}

#[test]
fn reconfigure_reserves_a_remote_address_still_in_use_elsewhere() {
    let mut p = pool(&[ip(1)], &ips(10..=12), 3);
    for _ in 0..3 {
        p.acquire();
    }
    assert!(p.release(0));
    assert!(p.release(1));
    // Slot 2 holds 10.0.0.12; the new list puts 10.0.0.12 first.
    p.reconfigure(pool(&[ip(1)], &[ip(12), ip(13), ip(14)], 3));
    assert_eq!(p.acquire(), Some(slot(1, 1, 13)));
    // Index 0 would be 10.0.0.12, index 2 is still held: nothing free.
    assert_eq!(p.acquire(), None);
    assert!(p.release(2));
    assert_eq!(p.acquire(), Some(slot(0, 1, 12)));
    assert_eq!(p.acquire(), Some(slot(2, 1, 14)));
}

#[test]
fn reconfigure_to_fewer_slots_counts_the_old_ones() {
    let mut p = pool(&[ip(1)], &ips(10..=14), 5);
    for _ in 0..5 {
        p.acquire();
    }
    p.reconfigure(pool(&[ip(1)], &ips(30..=31), 2));
    assert_eq!((p.capacity(), p.in_use()), (2, 5));
    assert_eq!(p.acquire(), None);
    // Slots beyond the new capacity are released as usual.
    assert!(p.release(4));
    assert!(p.release(3));
    assert!(p.release(2));
    assert_eq!(p.acquire(), None, "still 2 in use: the limit is reached");
    assert!(p.release(0));
    assert_eq!(p.acquire(), Some(slot(0, 1, 30)));
}

#[test]
fn reconfigure_into_and_out_of_delegate() {
    let mut p = pool(&[ip(1)], &ips(10..=11), 2);
    let a = p.acquire().expect("a");
    p.reconfigure(AddressPool::new(&[], &[], 3, true).0);
    assert_eq!(p.acquire().map(|s| (s.index, s.remote)), Some((1, None)));
    p.reconfigure(pool(&[ip(1)], &ips(10..=12), 3));
    // 10.0.0.10 (slot 0) is still held by `a`; index 1 is held by the delegate slot.
    assert_eq!(p.acquire(), Some(slot(2, 1, 12)));
    assert_eq!(p.acquire(), None);
    assert!(p.release(a.index));
    assert_eq!(p.acquire(), Some(slot(0, 1, 10)));
}

#[test]
fn arch_wiki_and_debian_default_addresses() {
    // localip 172.16.36.1, remoteip 172.16.36.2-254, default connections.
    let remote: Vec<Ipv4Addr> = (2..=254).map(|d| Ipv4Addr::new(172, 16, 36, d)).collect();
    let (mut p, warnings) = AddressPool::new(&[Ipv4Addr::new(172, 16, 36, 1)], &remote, 100, false);
    assert_eq!(p.capacity(), 100);
    assert_eq!(
        warnings,
        ["pptpd: 153 remote addresses beyond the 100 slots are unused"]
    );
    let first = p.acquire().expect("slot");
    assert_eq!(
        (first.local, first.remote),
        (
            Some(Ipv4Addr::new(172, 16, 36, 1)),
            Some(Ipv4Addr::new(172, 16, 36, 2))
        )
    );
    // poptop's default lists: 192.168.0.N pairs with 192.168.1.N.
    let local: Vec<Ipv4Addr> = (1..=100).map(|d| Ipv4Addr::new(192, 168, 0, d)).collect();
    let remote: Vec<Ipv4Addr> = (1..=100).map(|d| Ipv4Addr::new(192, 168, 1, d)).collect();
    let (mut p, warnings) = AddressPool::new(&local, &remote, 100, false);
    assert!(warnings.is_empty());
    let slots: Vec<Slot> = std::iter::from_fn(|| p.acquire()).collect();
    assert_eq!(slots.len(), 100);
    assert_eq!(slots[99].local, Some(Ipv4Addr::new(192, 168, 0, 100)));
    assert_eq!(slots[99].remote, Some(Ipv4Addr::new(192, 168, 1, 100)));
}
