package io.csfl.codec;

/**
 * How float values travel. FP16 is IEEE 754 half precision (round to nearest even; values beyond
 * its range become infinities and are rejected by the decoder, so senders clamp first, see
 * {@link #clamp}); BF16 keeps float32's exponent and 8 bits of mantissa.
 */
public enum Precision {
  /** IEEE 754 single precision, 4 bytes, exact. A constant's ordinal is its code on the wire. */
  FP32(4), /** IEEE 754 half precision, 2 bytes. */ FP16(2), /** bfloat16, 2 bytes. */ BF16(2);

  private static final float FP16_MAX = 65504f;
  private final int bytes;

  Precision(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes one value takes on the wire: 4 or 2. */
  public int bytesPerValue() {
    return bytes;
  }

  /** The value as the receiver will decode it. */
  public float round(float v) {
    return switch (this) {
      case FP32 -> v;
      case FP16 -> halfToFloat(floatToHalf(clamp(v)));
      case BF16 -> bf16ToFloat(floatToBf16(v));
    };
  }

  /** Keeps finite values finite in this precision. */
  public float clamp(float v) {
    return this == FP16 ? Math.max(-FP16_MAX, Math.min(FP16_MAX, v)) : v;
  }

  /** Rounds a float to the nearest IEEE 754 half-precision bit pattern, as the wire writes FP16. */
  public static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xFF;
    int mant = bits & 0x7FFFFF;
    if (exp == 0xFF) {
      return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1F) {
      return (short) (sign | 0x7C00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      // Subnormal half: shift the mantissa (with its implicit 1) into place, rounding to nearest even.
      int m = mant | 0x800000;
      int shift = 14 - e;
      int half = m >>> shift;
      int rest = m & ((1 << shift) - 1);
      int midpoint = 1 << (shift - 1);
      if (rest > midpoint || (rest == midpoint && (half & 1) == 1)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rest = mant & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    return (short) (sign | half);
  }

  /** Widens an IEEE 754 half-precision bit pattern to a float, as the wire reads FP16. */
  public static float halfToFloat(short h) {
    int bits = h & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1F;
    int mant = bits & 0x3FF;
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** Rounds a float to the nearest bfloat16 bit pattern, as the wire writes BF16. */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7F800000) == 0x7F800000) {
      return (short) (bits >>> 16);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    int rounded = (bits + rounding) >>> 16;
    if ((rounded & 0x7F80) == 0x7F80) {
      // Rounding carried a finite value past the largest bf16: keep it finite.
      return (short) ((bits >>> 16 & 0x8000) | 0x7F7F);
    }
    return (short) rounded;
  }

  /** Widens a bfloat16 bit pattern to a float, as the wire reads BF16. */
  public static float bf16ToFloat(short b) {
    return Float.intBitsToFloat((b & 0xFFFF) << 16);
  }
}
