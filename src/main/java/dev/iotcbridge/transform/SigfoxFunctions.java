package dev.iotcbridge.transform;

import net.thisptr.jackson.jq.Scope;

/** sigfox_decode(definition): a Sigfox payload (hex or bytes) decoded with a Sigfox custom payload config. */
final class SigfoxFunctions {

    private SigfoxFunctions() {
    }

    static void register(Scope scope) {
        scope.addFunction("sigfox_decode", 1, (s, args, in, path, out, version) -> FunctionArgs.each(s, args, in, v -> {
            if (v[0] == null || !v[0].isTextual()) {
                throw new TransformFunctionException("sigfox_decode", "the payload definition must be a string such as"
                        + " \"temp::int:16 hum::uint:8\", got " + JsonText.describe(v[0]));
            }
            SigfoxPayloadDefinition definition = SigfoxPayloadDefinition.parse(v[0].textValue());
            out.emit(definition.decode(ByteSource.of("sigfox_decode", in)), null);
        }));
    }
}
