package dev.muster.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VersionsTest {
  @Test
  void comparesPartsAsNumbers() {
    assertTrue(Versions.compare("10", "9") > 0);
    assertTrue(Versions.compare("1.10", "1.9") > 0);
    assertTrue(Versions.compare("2", "10") < 0);
    assertTrue(Versions.compare("99999999999999999999", "99999999999999999998") > 0);
  }

  @Test
  void separatorsTrailingZerosAndLeadingZerosDoNotMatter() {
    assertEquals(0, Versions.compare("1.2", "1_2"));
    assertEquals(0, Versions.compare("4", "4.0.0"));
    assertEquals(0, Versions.compare("007", "7"));
    assertTrue(Versions.compare("4.0.1", "4") > 0);
  }

  @Test
  void validVersionsAreNumbersSeparatedByDotsOrUnderscores() {
    assertTrue(Versions.isValid("4"));
    assertTrue(Versions.isValid("2_1.0"));
    assertFalse(Versions.isValid("V4"));
    assertFalse(Versions.isValid("4."));
    assertFalse(Versions.isValid(""));
    assertThrows(IllegalArgumentException.class, () -> Versions.compare("4", "latest"));
  }
}
