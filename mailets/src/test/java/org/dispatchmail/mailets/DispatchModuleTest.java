package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.james.domainlist.api.DomainList;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.rrt.api.RecipientRewriteTable;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.utils.PropertiesProvider;
import org.apache.mailet.MailetContext;
import org.dispatchmail.core.DispatchEngine;
import org.dispatchmail.smtp.MailIntake;
import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;
import com.google.inject.AbstractModule;
import com.google.inject.Binding;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Scopes;
import com.google.inject.TypeLiteral;
import com.google.inject.spi.LinkedKeyBinding;
import com.google.inject.util.Providers;

/**
 * The injector James builds for extensions: a child of James's own with the module extensions.properties names.
 * Every Dispatch class the shipped configuration names must be resolvable there, without starting anything.
 */
class DispatchModuleTest {
    private static final Path CONF = Path.of("..", "conf");

    /** What James's own injector offers Dispatch; never called here, since nothing is made. */
    private static final class JamesBindings extends AbstractModule {
        @Override
        protected void configure() {
            bind(PropertiesProvider.class).toProvider(Providers.of(null));
            bind(FileSystem.class).toProvider(Providers.of(null));
            bind(MailetContext.class).toProvider(Providers.of(null));
            bind(MetricRegistry.class).toProvider(Providers.of(null));
            bind(UsersRepository.class).toProvider(Providers.of(null));
            bind(DomainList.class).toProvider(Providers.of(null));
            bind(RecipientRewriteTable.class).toProvider(Providers.of(null));
            bind(MailRepositoryStore.class).toProvider(Providers.of(null));
            bind(new TypeLiteral<MailQueueFactory<?>>() { }).toProvider(Providers.of(null));
        }
    }

    private static Injector extensions() throws Exception {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(CONF.resolve("extensions.properties"), StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Class<?> module = Class.forName(properties.getProperty("guice.extension.module"));
        assertThat(module).isEqualTo(DispatchModule.class);
        return Guice.createInjector(new JamesBindings())
            .createChildInjector((com.google.inject.Module) module.getDeclaredConstructor().newInstance());
    }

    private static Set<String> dispatchClasses(String file, String pattern) throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher matcher = Pattern.compile(pattern).matcher(Files.readString(CONF.resolve(file)));
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    @Test
    void everyHookMailetRouteAndStartUpHookTheShippedConfigurationNamesCanBeMade() throws Exception {
        Injector injector = extensions();
        List<String> named = new ArrayList<>();
        named.addAll(dispatchClasses("smtpserver.xml", "class=\"(org\\.dispatchmail\\.[\\w.]+)\""));
        named.addAll(dispatchClasses("mailetcontainer.xml", "class=\"(org\\.dispatchmail\\.mailets\\.\\w+)\""));
        named.addAll(dispatchClasses("webadmin.properties", "(org\\.dispatchmail\\.[\\w.]+)"));
        named.addAll(dispatchClasses("extensions.properties", "guice\\.extension\\.startable=([\\w.]+)"));

        assertThat(named).contains("org.dispatchmail.smtp.ListenerPolicy", "org.dispatchmail.smtp.SubmissionAuth",
            "org.dispatchmail.smtp.DurableIntake", "org.dispatchmail.mailets.Dispatch",
            "org.dispatchmail.mailets.DkimSign", "org.dispatchmail.mailets.QueueRoutes",
            "org.dispatchmail.mailets.DispatchStartable");
        for (String name : named) {
            // resolves the constructor's dependencies, transitively, without calling it
            assertThat(injector.getBinding(Class.forName(name))).as(name).isNotNull();
        }
    }

    @Test
    void oneEngineAndOneIntakeServicePerNode() throws Exception {
        Injector injector = extensions();

        Binding<DispatchEngine> engine = injector.getBinding(DispatchEngine.class);
        assertThat(Scopes.isSingleton(engine)).isTrue();
        assertThat(Scopes.isSingleton(injector.getBinding(IntakeService.class))).isTrue();
        Binding<MailIntake> intake = injector.getBinding(MailIntake.class);
        assertThat(intake).isInstanceOf(LinkedKeyBinding.class);
        assertThat(((LinkedKeyBinding<MailIntake>) intake).getLinkedKey().getTypeLiteral().getRawType())
            .as("the hooks journal through the intake service").isEqualTo(IntakeService.class);
    }
}
