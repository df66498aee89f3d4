package io.csfl.internal.actor;

/** A message that carries tensors; serialized by the core serializer registered in reference.conf, in CSFL's binary form. */
public interface WireMessage {}
