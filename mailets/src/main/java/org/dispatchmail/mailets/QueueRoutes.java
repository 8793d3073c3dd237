package org.dispatchmail.mailets;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.dispatchmail.core.admin.QueueAdmin;
import org.dispatchmail.core.admin.QueueEntry;
import org.dispatchmail.core.admin.QueueSelector;
import org.dispatchmail.core.queue.QueueSummary;
import org.dispatchmail.core.admin.QueueText;
import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Webadmin routes for the delivery queue (webadmin.properties: extensions.routes).
 *
 * <pre>
 * GET    /dispatch/queue/summary                     unfinished recipients by domain, state and age (like qshape)
 * GET    /dispatch/queue?state=&domain=&sender=&limit=  unfinished recipients, oldest first (limit 100 by default)
 * GET    /dispatch/queue/messages/ID                 one message: envelope, recipients, every attempt
 * POST   /dispatch/queue/messages/ID?action=A        A = retry | hold | release | bounce
 * DELETE /dispatch/queue/messages/ID                 removes the message, without a report
 * POST   /dispatch/queue?action=A&domain=D           the same for every message with a recipient in D,
 *                                                    or for the whole queue with all=true instead of domain
 * DELETE /dispatch/queue?domain=D | ?all=true
 * </pre>
 * The GET routes answer plain-text tables with format=text (what the command line prints).
 */
public class QueueRoutes implements Routes {
    private static final String BASE = "/dispatch/queue";
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 10_000;

    private final QueueAdmin admin;

    @Inject
    public QueueRoutes(QueueAdmin admin) {
        this.admin = admin;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.get(BASE + "/summary", RouteSupport.guarded((request, response) -> {
            QueueSummary summary = admin.summary();
            return RouteSupport.wantsText(request) ? RouteSupport.plain(response, QueueText.summary(summary))
                : RouteSupport.json(response, 200, summary(summary));
        }));
        service.get(BASE, RouteSupport.guarded((request, response) -> {
            List<QueueEntry> entries = admin.list(selector(request, false),
                Optional.ofNullable(request.queryParams("state")).map(QueueRoutes::state),
                Optional.ofNullable(request.queryParams("sender")), limit(request));
            if (RouteSupport.wantsText(request)) {
                return RouteSupport.plain(response, QueueText.list(entries));
            }
            List<Map<String, Object>> body = new ArrayList<>();
            entries.forEach(entry -> body.add(entry(entry.message(), entry.recipient())));
            return RouteSupport.json(response, 200, body);
        }));
        service.get(BASE + "/messages/:id", RouteSupport.guarded((request, response) -> {
            UUID id = id(request);
            Optional<StoredMessage> message = admin.message(id);
            if (message.isEmpty()) {
                return RouteSupport.error(response, 404, "no queued message " + id);
            }
            if (RouteSupport.wantsText(request)) {
                return RouteSupport.plain(response, QueueText.show(message.get(), admin.recipients(id),
                    recipient -> admin.attempts(id, recipient)));
            }
            return RouteSupport.json(response, 200, details(message.get()));
        }));
        service.post(BASE + "/messages/:id", RouteSupport.guarded((request, response) -> {
            UUID id = id(request);
            if (admin.message(id).isEmpty()) {
                return RouteSupport.error(response, 404, "no queued message " + id);
            }
            return act(response, request, QueueSelector.message(id));
        }));
        service.delete(BASE + "/messages/:id", RouteSupport.guarded((request, response) -> {
            UUID id = id(request);
            if (admin.message(id).isEmpty()) {
                return RouteSupport.error(response, 404, "no queued message " + id);
            }
            return count(request, response, "delete", admin.delete(QueueSelector.message(id)));
        }));
        service.post(BASE, RouteSupport.guarded((request, response) ->
            act(response, request, selector(request, true))));
        service.delete(BASE, RouteSupport.guarded((request, response) ->
            count(request, response, "delete", admin.delete(selector(request, true)))));
    }

    private String act(Response response, Request request, QueueSelector selector) throws Exception {
        String action = Optional.ofNullable(request.queryParams("action"))
            .orElseThrow(() -> new IllegalArgumentException("action is required: retry, hold, release or bounce"));
        switch (action) {
            case "retry":
                return count(request, response, "retry", admin.retryNow(selector));
            case "hold":
                return count(request, response, "hold", admin.hold(selector));
            case "release":
                return count(request, response, "release", admin.release(selector));
            case "bounce":
                return count(request, response, "bounce", admin.bounceNow(selector, "returned by the mail administrator"));
            default:
                throw new IllegalArgumentException("unknown action " + action + ": use retry, hold, release or bounce");
        }
    }

    /** format=text: the plain-text tables the command line prints. */
    private static String count(Request request, Response response, String action, QueueAdmin.ChangeCount count)
        throws Exception {
        if (RouteSupport.wantsText(request)) {
            return RouteSupport.plain(response, QueueText.changed(action, count));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("changed", count.changed());
        body.put("skipped", count.skipped());
        return RouteSupport.json(response, 200, body);
    }

    /** A command on many messages must name its scope: a domain, or all=true. */
    private static QueueSelector selector(Request request, boolean command) {
        String domain = request.queryParams("domain");
        if (domain != null && !domain.isBlank()) {
            return QueueSelector.domain(domain.trim());
        }
        if (command && !"true".equals(request.queryParams("all"))) {
            throw new IllegalArgumentException("name the messages: domain=D, or all=true for the whole queue");
        }
        return QueueSelector.all();
    }

    private static RecipientState state(String text) {
        try {
            return RecipientState.valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown state " + text + ": use pending, in_flight, deferred, held,"
                + " delivered, bounced or expired");
        }
    }

    private static int limit(Request request) {
        String text = request.queryParams("limit");
        if (text == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text.trim());
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new NumberFormatException();
            }
            return limit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limit must be a number from 1 to " + MAX_LIMIT);
        }
    }

    private static UUID id(Request request) {
        try {
            return UUID.fromString(request.params("id"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a queue id: " + request.params("id"));
        }
    }

    private Map<String, Object> summary(QueueSummary summary) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("total", summary.total());
        body.put("oldestSeconds", summary.oldest().getSeconds());
        body.put("byState", summary.totalsByState());
        body.put("ageBucketsMinutes", QueueSummary.AGE_BUCKETS_MINUTES);
        List<Map<String, Object>> domains = new ArrayList<>();
        summary.byState().forEach((domain, states) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("domain", domain);
            row.put("states", states);
            row.put("ages", summary.byAge().get(domain));
            domains.add(row);
        });
        body.put("domains", domains);
        return body;
    }

    private static Map<String, Object> entry(StoredMessage message, RecipientRecord recipient) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", message.id().toString());
        row.put("sender", message.sender());
        row.put("queuedAt", message.createdAt().toString());
        row.put("size", message.size());
        row.putAll(recipient(recipient));
        return row;
    }

    private static Map<String, Object> recipient(RecipientRecord record) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("recipient", record.recipient());
        row.put("state", record.state().name().toLowerCase(Locale.ROOT));
        row.put("attempts", record.attempts());
        row.put("nextAttemptAt", record.state().isFinal() ? null : record.nextAttemptAt().toString());
        row.put("lastResult", record.lastResult().orElse(null));
        row.put("greylisted", record.greylistAttempts());
        record.claimedBy().ifPresent(node -> row.put("claimedBy", node));
        return row;
    }

    private Map<String, Object> details(StoredMessage message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", message.id().toString());
        body.put("mailName", message.name());
        body.put("sender", message.sender());
        body.put("queuedAt", message.createdAt().toString());
        body.put("size", message.size());
        body.put("ret", message.dsn().ret().map(Enum::name).orElse(null));
        body.put("envid", message.dsn().envelopeId().orElse(null));
        List<Map<String, Object>> recipients = new ArrayList<>();
        for (RecipientRecord record : admin.recipients(message.id())) {
            Map<String, Object> row = recipient(record);
            row.put("notify", record.dsn().notifyText());
            row.put("orcpt", record.dsn().originalRecipient().orElse(null));
            List<Map<String, Object>> attempts = new ArrayList<>();
            for (AttemptHistoryEntry attempt : admin.attempts(message.id(), record.recipient())) {
                attempts.add(attempt(attempt));
            }
            row.put("history", attempts);
            recipients.add(row);
        }
        body.put("recipients", recipients);
        return body;
    }

    private static Map<String, Object> attempt(AttemptHistoryEntry attempt) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("at", attempt.attemptedAt().toString());
        row.put("node", attempt.node());
        row.put("host", attempt.host().orElse(null));
        row.put("address", attempt.address().orElse(null));
        row.put("tls", attempt.tls().orElse(null));
        row.put("stage", attempt.stage());
        row.put("code", attempt.replyCode().orElse(null));
        row.put("status", attempt.enhancedCode().orElse(null));
        row.put("text", attempt.text().orElse(null));
        row.put("decision", attempt.decision().toLowerCase(Locale.ROOT));
        row.put("nextAttemptAt", attempt.nextAttemptAt().map(Instant::toString).orElse(null));
        return row;
    }
}
