-- A realistic SaaS schema: organisations, projects, tasks, documents, support,
-- billing with monthly invoice partitions, an audit log, analytics.
-- Loads into an empty PostgreSQL 15+ database.

CREATE EXTENSION citext;
CREATE EXTENSION pg_trgm;
CREATE EXTENSION btree_gist;

CREATE SCHEMA billing;
CREATE SCHEMA audit;
CREATE SCHEMA analytics;
COMMENT ON SCHEMA billing IS 'Plans, subscriptions, invoices and payments';
COMMENT ON SCHEMA audit IS 'Append-only record of who changed what';

-- Types ----------------------------------------------------------------------

CREATE TYPE account_status AS ENUM ('pending', 'active', 'suspended', 'closed');
CREATE TYPE member_role AS ENUM ('owner', 'admin', 'member', 'guest');
CREATE TYPE task_status AS ENUM ('backlog', 'todo', 'in_progress', 'review', 'done', 'cancelled');
CREATE TYPE task_priority AS ENUM ('low', 'normal', 'high', 'urgent');
CREATE TYPE ticket_status AS ENUM ('open', 'waiting', 'solved', 'closed');
CREATE TYPE notification_channel AS ENUM ('email', 'push', 'in_app', 'slack');
CREATE TYPE billing.plan_interval AS ENUM ('month', 'year');
CREATE TYPE billing.subscription_status AS ENUM ('trialing', 'active', 'past_due', 'cancelled');
CREATE TYPE billing.invoice_status AS ENUM ('draft', 'open', 'paid', 'void', 'uncollectible');

CREATE DOMAIN email_address AS citext
    CONSTRAINT email_address_format CHECK (VALUE ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$');
CREATE DOMAIN slug AS text
    CONSTRAINT slug_format CHECK (VALUE ~ '^[a-z0-9]+(-[a-z0-9]+)*$');
CREATE DOMAIN billing.cents AS bigint NOT NULL DEFAULT 0
    CONSTRAINT cents_not_negative CHECK (VALUE >= 0);
CREATE TYPE postal_address AS (line1 text, line2 text, city text, postcode text, country char(2));

COMMENT ON TYPE task_status IS 'Where a task is on the board';
COMMENT ON DOMAIN billing.cents IS 'An amount of money in the smallest unit of its currency';

-- Functions used by defaults, checks and triggers --------------------------------

CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE FUNCTION slugify(title text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN trim(BOTH '-' FROM regexp_replace(lower(title), '[^a-z0-9]+', '-', 'g'));

CREATE FUNCTION current_organisation_id() RETURNS bigint
    LANGUAGE sql STABLE
    RETURN nullif(current_setting('app.organisation_id', true), '')::bigint;

CREATE FUNCTION is_strong_key_prefix(prefix text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    RETURN length(prefix) = 8 AND prefix ~ '^[A-Za-z0-9]+$';

COMMENT ON FUNCTION current_organisation_id() IS 'The tenant of this session, set by the application with SET app.organisation_id';

-- Accounts -----------------------------------------------------------------------

CREATE TABLE organisations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    slug slug NOT NULL UNIQUE,
    status account_status NOT NULL DEFAULT 'pending',
    billing_address postal_address,
    settings jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE organisations IS 'A customer: every other row belongs to one';

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email email_address NOT NULL,
    display_name text NOT NULL,
    password_hash text,
    status account_status NOT NULL DEFAULT 'pending',
    last_seen_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_display_name_search ON users USING gin (display_name gin_trgm_ops);
CREATE INDEX users_last_seen ON users (last_seen_at DESC NULLS LAST);
COMMENT ON COLUMN users.password_hash IS 'NULL for users who only sign in with SSO';

CREATE TABLE organisation_members (
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role member_role NOT NULL DEFAULT 'member',
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, user_id)
);
CREATE UNIQUE INDEX organisation_members_one_owner ON organisation_members (organisation_id) WHERE role = 'owner';
CREATE INDEX organisation_members_user ON organisation_members (user_id);

CREATE TABLE teams (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name text NOT NULL,
    CONSTRAINT teams_name_per_organisation UNIQUE (organisation_id, name)
);

CREATE TABLE team_members (
    team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE invitations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email email_address NOT NULL,
    role member_role NOT NULL DEFAULT 'member',
    invited_by bigint REFERENCES users (id) ON DELETE SET NULL,
    token uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    expires_at timestamptz NOT NULL DEFAULT now() + interval '7 days',
    accepted_at timestamptz,
    CONSTRAINT invitations_not_to_owner CHECK (role <> 'owner')
);
CREATE UNIQUE INDEX invitations_pending_email ON invitations (organisation_id, lower(email::text)) WHERE accepted_at IS NULL;

CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    prefix text NOT NULL CONSTRAINT api_keys_prefix_strong CHECK (is_strong_key_prefix(prefix)),
    secret_hash text NOT NULL,
    label text,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    revoked_at timestamptz
);
CREATE INDEX api_keys_prefix ON api_keys USING hash (prefix);

CREATE UNLOGGED TABLE sessions (
    token text PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    data jsonb NOT NULL DEFAULT '{}',
    expires_at timestamptz NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX sessions_expiry ON sessions USING brin (expires_at);

-- Work -----------------------------------------------------------------------------

CREATE SEQUENCE project_keys AS integer START WITH 100 INCREMENT BY 1 CACHE 10;

CREATE TABLE projects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    key integer NOT NULL DEFAULT nextval('project_keys'),
    name text NOT NULL,
    slug slug NOT NULL,
    description text,
    archived boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_slug_per_organisation UNIQUE (organisation_id, slug)
);
ALTER SEQUENCE project_keys OWNED BY projects.key;
CREATE INDEX projects_live ON projects (organisation_id) INCLUDE (name) WHERE NOT archived;

CREATE TABLE project_members (
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role member_role NOT NULL DEFAULT 'member',
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE environments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name text NOT NULL,
    is_production boolean NOT NULL DEFAULT false,
    UNIQUE (project_id, name)
);
CREATE UNIQUE INDEX environments_one_production ON environments (project_id) WHERE is_production;

CREATE TABLE feature_flags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key text NOT NULL,
    description text,
    UNIQUE (project_id, key)
);

CREATE TABLE feature_flag_rules (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    flag_id bigint NOT NULL REFERENCES feature_flags (id) ON DELETE CASCADE,
    environment_id bigint NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    enabled boolean NOT NULL DEFAULT false,
    rollout_percent smallint NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 0 AND 100),
    conditions jsonb NOT NULL DEFAULT '[]',
    UNIQUE (flag_id, environment_id)
);

CREATE TABLE labels (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name text NOT NULL,
    colour char(7) NOT NULL DEFAULT '#888888' CHECK (colour ~ '^#[0-9a-f]{6}$'),
    UNIQUE (project_id, name)
);

CREATE TABLE milestones (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title text NOT NULL,
    due_on date,
    closed boolean NOT NULL DEFAULT false
);

CREATE TABLE tasks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    milestone_id bigint REFERENCES milestones (id) ON DELETE SET NULL,
    number integer NOT NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    body text,
    status task_status NOT NULL DEFAULT 'backlog',
    priority task_priority NOT NULL DEFAULT 'normal',
    estimate_hours numeric(6, 2),
    due_on date,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    search_text text GENERATED ALWAYS AS (title || ' ' || coalesce(body, '')) STORED,
    CONSTRAINT tasks_number_per_project UNIQUE (project_id, number)
);
CREATE INDEX tasks_open_by_priority ON tasks (project_id, priority DESC, created_at) WHERE status NOT IN ('done', 'cancelled');
CREATE INDEX tasks_search ON tasks USING gin (search_text gin_trgm_ops);
CREATE INDEX tasks_due ON tasks (due_on) WHERE due_on IS NOT NULL;
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_tenant ON tasks USING (organisation_id = current_organisation_id());
COMMENT ON COLUMN tasks.search_text IS 'Title and body, for trigram search';

CREATE TABLE task_assignees (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, user_id)
);

CREATE TABLE task_dependencies (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    depends_on bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, depends_on),
    CONSTRAINT task_dependencies_not_self CHECK (task_id <> depends_on)
);

CREATE TABLE task_labels (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    label_id bigint NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, label_id)
);

CREATE TABLE documents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    project_id bigint REFERENCES projects (id) ON DELETE SET NULL,
    title text NOT NULL,
    slug slug NOT NULL,
    published boolean NOT NULL DEFAULT false,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, slug)
);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_tenant ON documents AS RESTRICTIVE USING (organisation_id = current_organisation_id());
CREATE POLICY documents_read ON documents FOR SELECT USING (published OR author_id IS NOT NULL);
CREATE POLICY documents_write ON documents FOR INSERT WITH CHECK (organisation_id = current_organisation_id());
COMMENT ON POLICY documents_tenant ON documents IS 'No session sees another tenant''s documents';

CREATE TABLE document_versions (
    document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version > 0),
    body text NOT NULL,
    saved_by bigint REFERENCES users (id) ON DELETE SET NULL,
    saved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version)
);

CREATE TABLE comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint REFERENCES tasks (id) ON DELETE CASCADE,
    document_id bigint REFERENCES documents (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    parent_id bigint REFERENCES comments (id) ON DELETE CASCADE,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT comments_on_one_thing CHECK (num_nonnulls(task_id, document_id) = 1)
);
CREATE INDEX comments_task ON comments (task_id, created_at) WHERE task_id IS NOT NULL;
CREATE INDEX comments_document ON comments (document_id, created_at) WHERE document_id IS NOT NULL;

CREATE TABLE attachments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    comment_id bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    file_name text NOT NULL,
    content_type text NOT NULL DEFAULT 'application/octet-stream',
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    storage_key text NOT NULL UNIQUE
);

CREATE TABLE tags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name citext NOT NULL,
    UNIQUE (organisation_id, name)
);

CREATE TABLE project_tags (
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, tag_id)
);

CREATE TABLE meeting_rooms (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name text NOT NULL,
    seats integer NOT NULL CHECK (seats > 0)
);

CREATE TABLE room_bookings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id bigint NOT NULL REFERENCES meeting_rooms (id) ON DELETE CASCADE,
    booked_by bigint NOT NULL REFERENCES users (id),
    during tstzrange NOT NULL,
    cancelled boolean NOT NULL DEFAULT false,
    CONSTRAINT room_bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE (NOT cancelled)
);

-- Notifications and integrations ---------------------------------------------------

CREATE TABLE notifications (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel notification_channel NOT NULL DEFAULT 'in_app',
    subject text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    read_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_unread ON notifications (user_id, created_at DESC) WHERE read_at IS NULL;
CREATE INDEX notifications_payload ON notifications USING gin (payload jsonb_path_ops);

CREATE TABLE notification_preferences (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel notification_channel NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    quiet_hours int4range,
    PRIMARY KEY (user_id, channel)
);

CREATE TABLE webhooks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    url text NOT NULL CHECK (url LIKE 'https://%'),
    events text[] NOT NULL DEFAULT '{}',
    secret text NOT NULL,
    active boolean NOT NULL DEFAULT true
);
CREATE INDEX webhooks_events ON webhooks USING gin (events);

CREATE TABLE webhook_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event text NOT NULL,
    response_status smallint,
    attempt smallint NOT NULL DEFAULT 1,
    delivered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, delivered_at DESC);

CREATE TABLE integrations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider IN ('github', 'gitlab', 'slack', 'jira')),
    config jsonb NOT NULL DEFAULT '{}',
    UNIQUE (organisation_id, provider)
);

CREATE TABLE oauth_clients (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    client_id text NOT NULL UNIQUE,
    redirect_uris text[] NOT NULL
);

CREATE TABLE oauth_tokens (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id bigint NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes text[] NOT NULL DEFAULT '{}',
    access_hash text NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL
);

-- Support --------------------------------------------------------------------------

CREATE TABLE support_tickets (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    opened_by bigint REFERENCES users (id) ON DELETE SET NULL,
    subject text NOT NULL,
    status ticket_status NOT NULL DEFAULT 'open',
    priority task_priority NOT NULL DEFAULT 'normal',
    opened_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    CONSTRAINT support_tickets_closed_when_closed CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX support_tickets_queue ON support_tickets (priority DESC, opened_at) WHERE status IN ('open', 'waiting');

CREATE TABLE ticket_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    from_staff boolean NOT NULL DEFAULT false,
    body text NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kb_articles (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug slug NOT NULL UNIQUE,
    title text NOT NULL,
    body text NOT NULL,
    published_at timestamptz
);
CREATE INDEX kb_articles_title_pattern ON kb_articles (title text_pattern_ops);

-- Billing --------------------------------------------------------------------------

CREATE TABLE billing.plans (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    seats_included integer NOT NULL DEFAULT 1,
    features text[] NOT NULL DEFAULT '{}',
    retired boolean NOT NULL DEFAULT false
);

CREATE TABLE billing.plan_prices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id bigint NOT NULL REFERENCES billing.plans (id),
    currency char(3) NOT NULL,
    interval billing.plan_interval NOT NULL,
    amount billing.cents,
    UNIQUE NULLS NOT DISTINCT (plan_id, currency, interval)
);

CREATE TABLE billing.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL UNIQUE REFERENCES organisations (id) ON DELETE RESTRICT,
    billing_email email_address NOT NULL,
    tax_id text,
    address postal_address
);

CREATE TABLE billing.tax_rates (
    country char(2) NOT NULL,
    valid_during daterange NOT NULL,
    percent numeric(5, 2) NOT NULL CHECK (percent >= 0),
    CONSTRAINT tax_rates_no_overlap EXCLUDE USING gist (country WITH =, valid_during WITH &&)
);

CREATE TABLE billing.coupons (
    code text PRIMARY KEY,
    percent_off smallint CHECK (percent_off BETWEEN 1 AND 100),
    amount_off billing.cents,
    max_redemptions integer,
    expires_at timestamptz
);

CREATE TABLE billing.subscriptions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES billing.customers (id),
    plan_price_id bigint NOT NULL REFERENCES billing.plan_prices (id),
    status billing.subscription_status NOT NULL DEFAULT 'trialing',
    seats integer NOT NULL DEFAULT 1 CHECK (seats > 0),
    coupon_code text REFERENCES billing.coupons (code) ON UPDATE CASCADE,
    current_period daterange NOT NULL,
    cancel_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscriptions_one_live ON billing.subscriptions (customer_id) WHERE status IN ('trialing', 'active', 'past_due');

CREATE TABLE billing.subscription_items (
    subscription_id bigint NOT NULL REFERENCES billing.subscriptions (id) ON DELETE CASCADE,
    item text NOT NULL,
    quantity integer NOT NULL DEFAULT 1,
    PRIMARY KEY (subscription_id, item)
);

CREATE TABLE billing.coupon_redemptions (
    coupon_code text NOT NULL REFERENCES billing.coupons (code) ON UPDATE CASCADE,
    customer_id bigint NOT NULL REFERENCES billing.customers (id),
    redeemed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (coupon_code, customer_id)
);

CREATE SEQUENCE billing.invoice_numbers AS bigint START WITH 10000;

CREATE TABLE billing.invoices (
    id bigint NOT NULL DEFAULT nextval('billing.invoice_numbers'),
    issued_on date NOT NULL,
    customer_id bigint NOT NULL REFERENCES billing.customers (id),
    subscription_id bigint REFERENCES billing.subscriptions (id),
    status billing.invoice_status NOT NULL DEFAULT 'draft',
    currency char(3) NOT NULL DEFAULT 'EUR',
    total billing.cents,
    due_on date NOT NULL,
    PRIMARY KEY (id, issued_on),
    CONSTRAINT invoices_due_after_issue CHECK (due_on >= issued_on)
) PARTITION BY RANGE (issued_on);
CREATE TABLE billing.invoices_2025_01 PARTITION OF billing.invoices FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
CREATE TABLE billing.invoices_2025_02 PARTITION OF billing.invoices FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
CREATE TABLE billing.invoices_2025_03 PARTITION OF billing.invoices FOR VALUES FROM ('2025-03-01') TO ('2025-04-01');
CREATE TABLE billing.invoices_2025_04 PARTITION OF billing.invoices FOR VALUES FROM ('2025-04-01') TO ('2025-05-01');
CREATE TABLE billing.invoices_2025_05 PARTITION OF billing.invoices FOR VALUES FROM ('2025-05-01') TO ('2025-06-01');
CREATE TABLE billing.invoices_2025_06 PARTITION OF billing.invoices FOR VALUES FROM ('2025-06-01') TO ('2025-07-01');
CREATE INDEX invoices_customer ON billing.invoices (customer_id, issued_on DESC);
CREATE INDEX invoices_open ON billing.invoices (due_on) WHERE status = 'open';
COMMENT ON TABLE billing.invoices IS 'One partition per month of issue';

CREATE TABLE billing.invoice_lines (
    invoice_id bigint NOT NULL,
    invoice_issued_on date NOT NULL,
    line integer NOT NULL,
    description text NOT NULL,
    quantity integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
    unit_amount billing.cents,
    amount bigint GENERATED ALWAYS AS (quantity * unit_amount) STORED,
    PRIMARY KEY (invoice_id, invoice_issued_on, line),
    FOREIGN KEY (invoice_id, invoice_issued_on) REFERENCES billing.invoices (id, issued_on) ON DELETE CASCADE
);

CREATE TABLE billing.payments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id bigint NOT NULL,
    invoice_issued_on date NOT NULL,
    amount billing.cents,
    provider_reference text UNIQUE,
    paid_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_invoice_fk FOREIGN KEY (invoice_id, invoice_issued_on)
        REFERENCES billing.invoices (id, issued_on) MATCH FULL DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE billing.refunds (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id bigint NOT NULL REFERENCES billing.payments (id),
    amount billing.cents,
    reason text,
    refunded_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION billing.invoice_total(invoice bigint, issued date) RETURNS bigint
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(sum(amount), 0)::bigint FROM billing.invoice_lines
     WHERE invoice_id = invoice AND invoice_issued_on = issued;
END;

CREATE PROCEDURE billing.void_overdue(cutoff date)
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE billing.invoices SET status = 'void' WHERE status = 'open' AND due_on < cutoff;
END
$$;
COMMENT ON PROCEDURE billing.void_overdue(date) IS 'Run by the nightly job';

-- Audit log --------------------------------------------------------------------------

CREATE TABLE audit.events (
    id bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL DEFAULT current_user,
    table_name text NOT NULL,
    operation char(1) NOT NULL CHECK (operation IN ('I', 'U', 'D')),
    row_data jsonb,
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE audit.events_2025 PARTITION OF audit.events FOR VALUES FROM ('2025-01-01 00:00+00') TO ('2026-01-01 00:00+00');
CREATE TABLE audit.events_2026 PARTITION OF audit.events FOR VALUES FROM ('2026-01-01 00:00+00') TO ('2027-01-01 00:00+00');
CREATE TABLE audit.events_other PARTITION OF audit.events DEFAULT;
CREATE INDEX events_occurred ON audit.events USING brin (occurred_at);
CREATE INDEX events_table ON audit.events (table_name, occurred_at DESC);

CREATE FUNCTION audit.record_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    INSERT INTO audit.events (table_name, operation, row_data)
    VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, left(TG_OP, 1),
            CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END);
    RETURN NULL;
END
$$;

-- Analytics -------------------------------------------------------------------------

CREATE UNLOGGED TABLE analytics.page_views (
    id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1 CACHE 100) PRIMARY KEY,
    organisation_id bigint,
    path text NOT NULL,
    viewed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX page_views_viewed ON analytics.page_views USING brin (viewed_at) WITH (pages_per_range = 64);

CREATE TABLE analytics.daily_active_users (
    day date NOT NULL,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    users integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, organisation_id)
);

-- Views ------------------------------------------------------------------------------

CREATE VIEW active_users AS
    SELECT id, email, display_name, last_seen_at FROM users WHERE status = 'active';

CREATE VIEW project_overview AS
    SELECT p.id, p.organisation_id, p.name,
           count(t.id) FILTER (WHERE t.status NOT IN ('done', 'cancelled')) AS open_tasks,
           count(t.id) FILTER (WHERE t.status = 'done') AS done_tasks
      FROM projects p
      LEFT JOIN tasks t ON t.project_id = p.id
     WHERE NOT p.archived
     GROUP BY p.id;

CREATE VIEW my_open_tasks WITH (security_barrier) AS
    SELECT t.id, t.title, t.priority, t.due_on
      FROM tasks t
      JOIN task_assignees a ON a.task_id = t.id
     WHERE a.user_id = nullif(current_setting('app.user_id', true), '')::bigint
       AND t.status NOT IN ('done', 'cancelled');

CREATE VIEW urgent_tasks AS
    SELECT id, organisation_id, project_id, title, priority FROM tasks WHERE priority = 'urgent'
    WITH CASCADED CHECK OPTION;

CREATE VIEW billing.open_invoices AS
    SELECT i.id, i.issued_on, i.customer_id, i.total, i.due_on
      FROM billing.invoices i
     WHERE i.status = 'open';

CREATE VIEW billing.overdue_invoices AS
    SELECT id, issued_on, customer_id, total FROM billing.open_invoices WHERE due_on < current_date;

CREATE MATERIALIZED VIEW analytics.monthly_revenue AS
    SELECT date_trunc('month', issued_on)::date AS month, currency, sum(total) AS revenue, count(*) AS invoices
      FROM billing.invoices
     WHERE status = 'paid'
     GROUP BY 1, 2;
CREATE UNIQUE INDEX monthly_revenue_key ON analytics.monthly_revenue (month, currency);
COMMENT ON MATERIALIZED VIEW analytics.monthly_revenue IS 'Refreshed by the nightly job';
COMMENT ON VIEW project_overview IS 'One row per live project, with task counts';

-- Triggers ---------------------------------------------------------------------------

CREATE TRIGGER organisations_updated_at BEFORE UPDATE ON organisations FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW
    WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER projects_updated_at BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER tasks_updated_at BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER documents_updated_at BEFORE UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER subscriptions_updated_at BEFORE UPDATE ON billing.subscriptions FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER organisations_audit AFTER INSERT OR UPDATE OR DELETE ON organisations FOR EACH ROW EXECUTE FUNCTION audit.record_change();
CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION audit.record_change();
CREATE TRIGGER payments_audit AFTER INSERT OR DELETE ON billing.payments FOR EACH ROW EXECUTE FUNCTION audit.record_change();
CREATE TRIGGER subscriptions_audit AFTER UPDATE OF status ON billing.subscriptions FOR EACH ROW EXECUTE FUNCTION audit.record_change();
ALTER TABLE billing.payments DISABLE TRIGGER payments_audit;
COMMENT ON TRIGGER users_audit ON users IS 'Every change to a user is kept in audit.events';
