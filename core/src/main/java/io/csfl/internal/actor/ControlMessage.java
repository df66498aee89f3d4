package io.csfl.internal.actor;

/** A small message without tensors; serialized as CBOR by {@link ControlSerializer}, through Akka's Jackson serializer. */
public interface ControlMessage {}
