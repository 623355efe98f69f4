/**
 * The pool as one system on etcd (ARCHITECTURE.md §7), membership side: each MUX holds
 * {@code PREFIX/members/ADDRESS} under a lease ({@link io.panamux.slowpath.pool.LeasedRegistration}), and
 * {@link io.panamux.slowpath.pool.EtcdPoolMembership} gives the live members to the owner ring
 * ({@link io.panamux.slowpath.peer.PoolRing}); {@link io.panamux.slowpath.pool.PoolStatus} is what {@code ctl pool}
 * and {@code /metrics} show. The store client itself is {@link io.panamux.slowpath.store.EtcdStore}.
 */
package io.panamux.slowpath.pool;
