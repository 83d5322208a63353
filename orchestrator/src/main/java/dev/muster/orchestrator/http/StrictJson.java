package dev.muster.orchestrator.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Request bodies read strictly, so that every reader of a body would read the same thing: UTF-8 only
 * (invalid, overlong or surrogate byte sequences and other encodings are refused, not guessed or
 * replaced), one JSON object and nothing after it, no key twice, no deep nesting, no giant numbers.
 */
final class StrictJson {
  /** An arrival is flat; a little nesting is allowed for what later versions may add. */
  static final int MAX_DEPTH = 16;

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).maxNumberLength(100).build())
      .build();

  private StrictJson() {}

  /** The body as a JSON object, or a 400 saying what is wrong with it. */
  static JsonObject object(Buffer body) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body.getBytes()))
          .toString();
    } catch (CharacterCodingException e) {
      throw invalid("the body is not valid UTF-8");
    }
    Object value;
    try {
      JsonParser parser = FACTORY.createParser(text);
      value = JacksonCodec.fromParser(parser, Object.class);
    } catch (IOException | RuntimeException e) {
      throw invalid("the body is not valid JSON: one object, each key once, nested at most " + MAX_DEPTH + " deep");
    }
    if (!(value instanceof JsonObject)) throw invalid("the body must be a JSON object");
    return (JsonObject) value;
  }

  private static ApiException invalid(String message) {
    return new ApiException(400, "invalid_json", message);
  }
}
