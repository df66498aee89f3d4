package io.csfl.internal.actor;

/** A small message without tensors; serialized with Akka's jackson-cbor. */
public interface ControlMessage {}
