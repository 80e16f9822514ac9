package dev.iotcbridge.sim;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The simulator's self-signed certificate (resource {@code sim/localhost.p12}, see its README) and the trust
 * material a client needs to talk HTTPS to it. Clients trust exactly this certificate, never "anything": a
 * test that passes with it proves the client does verify the server.
 */
public final class SimTls {

    private static final String KEYSTORE = "/sim/localhost.p12";
    private static final char[] PASSWORD = "simulator".toCharArray();

    private SimTls() {
    }

    /** A server context with the simulator's certificate (for a test server that stands in for a hub). */
    public static SSLContext serverContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers().getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the simulator's TLS key store cannot be used", e);
        }
    }

    /** The context the simulator's HTTPS listeners serve with (Netty's, over the JDK's TLS). */
    static SslContext nettyServerContext() {
        try {
            return SslContextBuilder.forServer(keyManagers()).sslProvider(SslProvider.JDK).build();
        } catch (SSLException e) {
            throw new IllegalStateException("the simulator's TLS key store cannot be used", e);
        }
    }

    private static KeyManagerFactory keyManagers() {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore(), PASSWORD);
            return kmf;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the simulator's TLS key store cannot be used", e);
        }
    }

    /** A trust manager that trusts the simulator's certificate only (what OkHttp's sslSocketFactory wants beside). */
    public static X509TrustManager trustManager() {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("iotc-simulator", certificate());
            tmf.init(trusted);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("no X509 trust manager available");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the simulator's certificate cannot be trusted", e);
        }
    }

    /** A client context (TLS) that trusts the simulator's certificate only. */
    public static SSLContext clientContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustManager()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a client TLS context", e);
        }
    }

    /** The simulator's certificate (CN=localhost, SAN localhost, 127.0.0.1, ::1). */
    public static X509Certificate certificate() {
        try {
            return (X509Certificate) keyStore().getCertificate("localhost");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the simulator's TLS key store has no certificate", e);
        }
    }

    private static KeyStore keyStore() throws GeneralSecurityException {
        try (InputStream in = SimTls.class.getResourceAsStream(KEYSTORE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + KEYSTORE + " is missing from the class path");
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASSWORD);
            return ks;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + KEYSTORE, e);
        }
    }
}
