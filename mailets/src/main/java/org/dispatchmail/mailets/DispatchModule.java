package org.dispatchmail.mailets;

import java.util.Optional;
import java.util.function.Supplier;

import org.dispatchmail.core.DispatchEngine;
import org.dispatchmail.core.admin.QueueAdmin;
import org.dispatchmail.core.admin.TlsAdmin;
import org.dispatchmail.core.dkim.ArcSealing;
import org.dispatchmail.core.dkim.DkimKeys;
import org.dispatchmail.core.dkim.DkimSigner;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.routing.TransportRules;
import org.dispatchmail.core.srs.SenderRewriting;
import org.dispatchmail.core.srs.SrsKeys;
import org.dispatchmail.core.submission.AuthChecks;
import org.dispatchmail.core.submission.AuthMechanisms;
import org.dispatchmail.core.submission.SenderAlignment;
import org.dispatchmail.core.submission.SendingLimits;
import org.dispatchmail.core.submission.SubmissionSettings;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.dispatchmail.smtp.MailIntake;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;

/**
 * Dispatch's Guice bindings (extensions.properties: {@code guice.extension.module}). James 3.8 builds one injector
 * from it, a child of its own, for every extension it loads: mailets, matchers, SMTP hooks, webadmin routes and
 * the start-up hook. So the engine below is started once per node, by the first extension that needs it, and each
 * extension is given the parts of the engine it uses, by constructor.
 */
public class DispatchModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(DispatchEngine.class).toProvider(EngineLauncher.class).in(Scopes.SINGLETON);
        bind(IntakeService.class).in(Scopes.SINGLETON);
        bind(MailIntake.class).to(IntakeService.class);
    }

    @Provides
    QueueAdmin queueAdmin(DispatchEngine engine) {
        return engine.queueAdmin();
    }

    @Provides
    TlsAdmin tlsAdmin(DispatchEngine engine) {
        return engine.tlsAdmin();
    }

    /** Asked for when used: the DKIM key service exists only with dkim.masterKeyFile, and says so otherwise. */
    @Provides
    Supplier<DkimKeys> dkimKeys(DispatchEngine engine) {
        return engine::dkimKeys;
    }

    @Provides
    DkimSigner dkimSigner(DispatchEngine engine) {
        return engine.dkimSigner();
    }

    @Provides
    Optional<ArcSealing> arcSealing(DispatchEngine engine) {
        return engine.arcSealing();
    }

    @Provides
    SenderRewriting senderRewriting(DispatchEngine engine) {
        return engine.senderRewriting();
    }

    @Provides
    SrsKeys srsKeys(DispatchEngine engine) {
        return engine.srsKeys();
    }

    @Provides
    SubmissionUsers submissionUsers(DispatchEngine engine) {
        return engine.submissionUsers();
    }

    @Provides
    SubmissionSettings submissionSettings(DispatchEngine engine) {
        return engine.submissionSettings();
    }

    @Provides
    AuthChecks authChecks(DispatchEngine engine) {
        return engine.authChecks();
    }

    @Provides
    AuthMechanisms authMechanisms(DispatchEngine engine) {
        return engine.authMechanisms();
    }

    @Provides
    SenderAlignment senderAlignment(DispatchEngine engine) {
        return engine.senderAlignment();
    }

    @Provides
    SendingLimits sendingLimits(DispatchEngine engine) {
        return engine.sendingLimits();
    }

    /** The resolver delivery uses (its cache included), for the recipient checks at submission. */
    @Provides
    MxResolver mxResolver(DispatchEngine engine) {
        return engine.mxResolver();
    }

    @Provides
    TransportRules transportRules(DispatchEngine engine) {
        return engine.transportRules();
    }
}
