package dev.iotcbridge.transform;

/** Why a transform file cannot serve its route; kept so that the route answers 500 naming it. */
record TransformFailure(String file, String problem) {

    String message(String route) {
        return "transform " + route + " (" + file + ") is broken: " + problem;
    }
}
