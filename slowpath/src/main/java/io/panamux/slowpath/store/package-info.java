/**
 * The pool's store (ARCHITECTURE.md §7): the etcd client ({@link io.panamux.slowpath.store.EtcdStore}) and what
 * keeps a MUX's configuration in step with the pool's document in etcd.
 */
package io.panamux.slowpath.store;
