package org.dispatchmail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.core.Username;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.rrt.api.RecipientRewriteTableConfiguration;
import org.apache.james.rrt.lib.MappingSource;
import org.apache.james.rrt.memory.MemoryRecipientRewriteTable;
import org.apache.james.user.memory.MemoryUsersRepository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KnownLocalRecipientsTest {
    private final TestDoubles.LocalDomains domains = new TestDoubles.LocalDomains("example.com");
    private final MemoryUsersRepository users = MemoryUsersRepository.withVirtualHosting(domains);
    private final MemoryRecipientRewriteTable aliases = new MemoryRecipientRewriteTable();
    private final KnownLocalRecipients hook = new KnownLocalRecipients(users, aliases, domains);

    @BeforeEach
    void setUp() throws Exception {
        users.addUser(Username.of("bob@example.com"), "password");
        aliases.setConfiguration(RecipientRewriteTableConfiguration.DEFAULT_ENABLED);
        aliases.setUsersRepository(users);
        aliases.setDomainList(domains);
        aliases.addAddressMapping(MappingSource.fromUser("sales", Domain.of("example.com")), "bob@example.com");
        hook.init(new BaseHierarchicalConfiguration());
    }

    private HookResult rcpt(String recipient) throws Exception {
        return hook.doRcpt(TestSession.plain(25).session, MaybeSender.nullSender(), new MailAddress(recipient));
    }

    @Test
    void usersAliasesAndRemoteDomainsAreLeftToTheNextHandlers() throws Exception {
        assertThat(rcpt("bob@example.com").getResult()).isEqualTo(HookReturnCode.declined());
        assertThat(rcpt("sales@example.com").getResult()).isEqualTo(HookReturnCode.declined());
        assertThat(rcpt("anyone@elsewhere.test").getResult()).isEqualTo(HookReturnCode.declined());
    }

    @Test
    void postmasterAndAbuseAreAlwaysAccepted() throws Exception {
        assertThat(rcpt("postmaster@example.com")).isEqualTo(HookResult.DECLINED);
        assertThat(rcpt("Abuse@example.com")).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void anUnknownLocalPartIsRefusedAtRcpt() throws Exception {
        HookResult result = rcpt("nobody@example.com");

        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("550");
        assertThat(result.getSmtpDescription()).contains("5.1.1").contains("nobody@example.com");
    }

    @Test
    void relayTricksInTheLocalPartAreUnknownUsersNotErrors() throws Exception {
        assertThat(rcpt("bob%elsewhere.test@example.com").getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(rcpt("\"bob@elsewhere.test\"@example.com").getResult()).isEqualTo(HookReturnCode.deny());
    }
}
