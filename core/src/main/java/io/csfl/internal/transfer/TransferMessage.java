package io.csfl.internal.transfer;

/** Marker for the courier protocol's messages between nodes; bound to csfl-control (CBOR, {@link io.csfl.internal.actor.ControlSerializer}) in reference.conf. */
public interface TransferMessage {}
