package dev.iotcbridge.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.temporal.ChronoUnit;

/**
 * The one declaration of a setting, on the {@link Settings} component that holds it: its app-setting name, default,
 * allowed range and meaning. Parsing and validation are derived from it and from the component's type (see
 * {@link SettingReader}); so are README's settings table and local.settings.json.example, which a test compares with
 * these declarations.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
@interface Setting {

    /** The app-setting (environment variable) name; for a family, its pattern, e.g. {@code BRIDGE_ROUTE_<ROUTE>_<NAME>}. */
    String name();

    /** The default as the operator writes it (a number in {@link #unit()} for durations); empty: none. */
    String fallback() default "";

    /** What README's default column says when the default is not a literal value (e.g. "the shipped folder"). */
    String shown() default "";

    /** Smallest allowed number (in {@link #unit()} for durations). */
    long min() default Long.MIN_VALUE;

    /** Largest allowed number (in {@link #unit()} for durations). */
    long max() default Long.MAX_VALUE;

    /** The unit a duration is written in: the setting's name says it too (_MS, _SECONDS, _MINUTES). */
    ChronoUnit unit() default ChronoUnit.FOREVER;

    /** A rule beyond the type, for text settings. */
    Form form() default Form.ANY;

    /** One line of meaning, as README's settings table shows it (Markdown). */
    String meaning();

    /** Rules for text settings whose type alone does not say what is allowed. */
    enum Form {
        ANY,
        /** A base64 key of an enrollment group: checked, never echoed. */
        GROUP_KEY,
        /** host or host:port, no scheme and no path. */
        HOST_PORT,
        /** An Azure Storage queue name that leaves room for the poison queue's suffix. */
        QUEUE_NAME,
        /** The one credential kind the Functions host documents for a connection: {@code managedidentity}. */
        MANAGED_IDENTITY,
        /** A managed identity's client id: a GUID, as Entra ID shows it. */
        CLIENT_ID
    }
}
