package io.csfl.internal.transfer;

/** Marker for the courier protocol's messages between nodes; bound to jackson-cbor in reference.conf. */
public interface TransferMessage {}
