-- History of the Kalshi trading bot: what it saw, ordered, filled and closed, and what it reported.
--
-- The bot writes every row with an idempotent upsert on the table's natural key (PostgREST
-- `on_conflict` + `Prefer: resolution=merge-duplicates`), from an outbox it keeps in its Durable
-- Object, so a retried flush never duplicates a row. Each table carries the account key
-- (`<environment>:<account>`, e.g. `sim:default`) so several accounts and environments share one
-- project without mixing.
--
-- Units (see docs/history.md): money in exact dollars, numeric(20,6) (the bot's micro-dollars
-- divided by 10^6, no rounding); prices in dollars per contract, numeric(6,4) (Kalshi's $0.0001
-- price unit); contract counts numeric(12,2) (Kalshi's 1/100 contract). Times are timestamptz.
--
-- There are no foreign keys between tables on purpose: the outbox delivers tables in any order,
-- and a fill or a reconciliation difference can name an order the bot never placed.
--
-- Security: row-level security is on for every table and no policy exists, so the Data API's
-- `anon` and `authenticated` roles read and write nothing; their privileges are revoked as well.
-- The bot writes with the service-role key, which bypasses RLS.

-- ------------------------------------------------------------------ domains

create domain public.account_key as text
  check (value ~ '^[^[:space:]]{1,120}$');
comment on domain public.account_key is
  'The bot''s account key, <environment>:<account name>, e.g. sim:default.';

create domain public.usd as numeric(20, 6);
comment on domain public.usd is 'Money in dollars, exact to the micro-dollar.';

create domain public.price_usd as numeric(6, 4)
  check (value >= 0 and value <= 1);
comment on domain public.price_usd is 'A contract price in dollars, 0 to 1, in Kalshi''s $0.0001 unit.';

create domain public.contracts as numeric(12, 2);
comment on domain public.contracts is 'A number of contracts, in Kalshi''s 1/100 contract unit.';

create domain public.snake_name as text
  check (value ~ '^[a-z][a-z0-9_.]{0,63}$');
comment on domain public.snake_name is 'A machine-readable name such as stop_hit or feed.tick_failed.';

-- ------------------------------------------------------------------ markets

create table public.markets (
  account public.account_key not null,
  ticker text not null check (length(ticker) between 1 and 200),
  event_ticker text not null check (length(event_ticker) between 1 and 200),
  series_ticker text not null check (length(series_ticker) between 1 and 200),
  status text not null check (status in (
    'initialized', 'active', 'inactive', 'closed', 'determined', 'disputed', 'amended', 'finalized'
  )),
  open_time timestamptz not null,
  close_time timestamptz not null,
  exchange_index integer not null check (exchange_index >= 0),
  tick_bands jsonb not null check (jsonb_typeof(tick_bands) = 'array'),
  volume_24h public.contracts not null check (volume_24h >= 0),
  fee_type text check (fee_type in (
    'quadratic', 'quadratic_with_maker_fees', 'quadratic_with_combo_maker_fees', 'flat'
  )),
  fee_multiplier numeric(10, 6) check (fee_multiplier >= 0),
  fee_waiver_until timestamptz,
  can_close_early boolean not null,
  multivariate boolean not null,
  first_seen_at timestamptz not null,
  last_seen_at timestamptz not null,
  primary key (account, ticker),
  check (last_seen_at >= first_seen_at)
);
comment on table public.markets is 'Markets the bot has watched, one row per (account, ticker), last state seen.';

create index markets_account_last_seen on public.markets (account, last_seen_at desc);

-- An upsert replaces every column it sends; first_seen_at must keep the earliest sighting.
create function public.markets_keep_first_seen() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.first_seen_at := least(old.first_seen_at, new.first_seen_at);
  new.last_seen_at := greatest(old.last_seen_at, new.last_seen_at);
  return new;
end;
$$;

create trigger markets_keep_first_seen before update on public.markets
  for each row execute function public.markets_keep_first_seen();

-- ------------------------------------------------------------------ orders

create table public.orders (
  account public.account_key not null,
  client_order_id text not null check (length(client_order_id) between 1 and 100),
  intent_id text not null check (length(intent_id) between 1 and 100),
  order_id text check (length(order_id) between 1 and 100),
  ticker text not null check (length(ticker) between 1 and 200),
  side text not null check (side in ('yes', 'no')),
  action text not null check (action in ('buy', 'sell')),
  price public.price_usd not null,
  count public.contracts not null check (count > 0),
  purpose text not null check (purpose in ('entry', 'take_profit', 'stop', 'exit', 'manual')),
  time_in_force text not null check (time_in_force in (
    'immediate_or_cancel', 'good_till_canceled', 'fill_or_kill'
  )),
  post_only boolean not null,
  reduce_only boolean not null,
  expiration_time timestamptz,
  position_id text check (length(position_id) between 1 and 100),
  exchange_index integer not null check (exchange_index >= 0),
  order_group_id text check (length(order_group_id) between 1 and 100),
  state text not null check (state in (
    'pending', 'resting', 'partially_filled', 'filled', 'cancelled', 'expired', 'rejected'
  )),
  ack text not null check (ack in ('unsent', 'accepted', 'rejected', 'unknown')),
  filled public.contracts not null check (filled >= 0 and filled <= count),
  fees public.usd not null,
  fill_cost public.usd not null check (fill_cost >= 0),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  reason text not null check (length(reason) <= 200),
  error text check (length(error) <= 2000),
  primary key (account, client_order_id)
);
comment on table public.orders is
  'Every order the bot journaled, keyed by its client_order_id; the row is its latest known state.';

create index orders_account_created on public.orders (account, created_at desc);
create index orders_account_order_id on public.orders (account, order_id) where order_id is not null;
create index orders_account_position on public.orders (account, position_id) where position_id is not null;

-- A late replay of an older state (a flush whose answer was lost, arriving after a newer one)
-- must not overwrite a newer row: the update is skipped when it would move updated_at back.
create function public.orders_keep_newest() returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.updated_at < old.updated_at then
    return null;
  end if;
  return new;
end;
$$;

create trigger orders_keep_newest before update on public.orders
  for each row execute function public.orders_keep_newest();

-- ------------------------------------------------------------------ fills

create table public.fills (
  account public.account_key not null,
  fill_id text not null check (length(fill_id) between 1 and 100),
  order_id text not null check (length(order_id) between 1 and 100),
  ticker text not null check (length(ticker) between 1 and 200),
  yes_price public.price_usd not null,
  count public.contracts not null check (count > 0),
  -- Signed change in YES contracts: +count for a YES-leg bid, -count for an ask.
  yes_delta public.contracts not null check (yes_delta = count or yes_delta = -count),
  fee public.usd not null,
  is_taker boolean not null,
  filled_at timestamptz not null,
  primary key (account, fill_id)
);
comment on table public.fills is 'Executions of the bot''s orders, keyed by Kalshi''s fill_id.';

create index fills_account_filled on public.fills (account, filled_at desc);
create index fills_account_order on public.fills (account, order_id);

-- ------------------------------------------------------------------ trades (round trips)

create table public.trades (
  account public.account_key not null,
  position_id text not null check (length(position_id) between 1 and 100),
  ticker text not null check (length(ticker) between 1 and 200),
  side text not null check (side in ('yes', 'no')),
  contracts public.contracts not null check (contracts > 0),
  avg_entry public.price_usd not null,
  avg_exit public.price_usd not null,
  opened_at timestamptz not null,
  closed_at timestamptz not null,
  reason text not null check (reason in (
    'take_profit', 'stop', 'timeout', 'pre_close', 'deactivated', 'settled', 'flatten', 'manual', 'external'
  )),
  fees public.usd not null,
  -- Net of fees.
  pnl public.usd not null,
  gross_pnl public.usd generated always as (pnl + fees) stored,
  primary key (account, position_id),
  check (closed_at >= opened_at)
);
comment on table public.trades is
  'Closed round trips (entry to flat), keyed by the bot''s position_id; pnl is net of fees.';

create index trades_account_closed on public.trades (account, closed_at desc);

-- ------------------------------------------------------------------ account snapshots

create table public.account_snapshots (
  account public.account_key not null,
  taken_at timestamptz not null,
  cash public.usd not null,
  portfolio_value public.usd not null,
  equity public.usd generated always as (cash + portfolio_value) stored,
  exposure public.usd not null check (exposure >= 0),
  realized_today public.usd not null,
  unrealized public.usd not null,
  open_positions integer not null check (open_positions >= 0),
  open_orders integer not null check (open_orders >= 0),
  trading_state text not null check (trading_state in ('active', 'reducing', 'halted')),
  primary key (account, taken_at)
);
comment on table public.account_snapshots is 'The account''s balance, value and risk every few minutes.';

-- ------------------------------------------------------------------ daily reports

create table public.daily_reports (
  account public.account_key not null,
  day date not null,
  generated_at timestamptz not null,
  subject text not null check (length(subject) between 1 and 300),
  trades integer not null check (trades >= 0),
  wins integer not null check (wins >= 0),
  losses integer not null check (losses >= 0),
  net_pnl public.usd not null,
  fees public.usd not null,
  start_equity public.usd,
  end_equity public.usd,
  sent_at timestamptz,
  email_id text check (length(email_id) between 1 and 200),
  data jsonb not null check (jsonb_typeof(data) = 'object'),
  primary key (account, day),
  check (wins + losses <= trades)
);
comment on table public.daily_reports is
  'One report per account and trading day (America/New_York), with the data it was rendered from.';

create index daily_reports_account_generated on public.daily_reports (account, generated_at desc);

-- ------------------------------------------------------------------ alerts

create table public.alerts (
  account public.account_key not null,
  event_id text not null check (length(event_id) between 1 and 200),
  raised_at timestamptz not null,
  kind public.snake_name not null,
  severity text not null check (severity in ('info', 'warning', 'critical')),
  message text not null check (length(message) between 1 and 2000),
  details jsonb not null check (jsonb_typeof(details) = 'object'),
  delivered_at timestamptz,
  primary key (account, event_id)
);
comment on table public.alerts is 'Alerts the bot raised, keyed by the event id the bot gave them.';

create index alerts_account_raised on public.alerts (account, raised_at desc);

-- ------------------------------------------------------------------ risk events

create table public.risk_events (
  account public.account_key not null,
  event_id text not null check (length(event_id) between 1 and 200),
  occurred_at timestamptz not null,
  kind public.snake_name not null,
  code public.snake_name not null,
  message text not null check (length(message) between 1 and 2000),
  ticker text check (length(ticker) between 1 and 200),
  trading_state text check (trading_state in ('active', 'reducing', 'halted')),
  numbers jsonb not null check (jsonb_typeof(numbers) = 'object'),
  primary key (account, event_id)
);
comment on table public.risk_events is
  'Risk decisions worth keeping: denials, breaker trips and clears, trading-state changes.';

create index risk_events_account_occurred on public.risk_events (account, occurred_at desc);

-- ------------------------------------------------------------------ reconciliation differences

create table public.recon_diffs (
  account public.account_key not null,
  event_id text not null check (length(event_id) between 1 and 200),
  found_at timestamptz not null,
  kind public.snake_name not null,
  ticker text check (length(ticker) between 1 and 200),
  order_id text check (length(order_id) between 1 and 100),
  client_order_id text check (length(client_order_id) between 1 and 100),
  ours jsonb,
  exchange jsonb,
  explained boolean not null,
  resolution text not null check (length(resolution) <= 2000),
  acknowledged_at timestamptz,
  primary key (account, event_id)
);
comment on table public.recon_diffs is
  'Differences between the bot''s journal and the exchange found by reconciliation (the exchange wins).';

create index recon_diffs_account_found on public.recon_diffs (account, found_at desc);
create index recon_diffs_open on public.recon_diffs (account, found_at desc)
  where not explained and acknowledged_at is null;

-- ------------------------------------------------------------------ logs

create table public.logs (
  account public.account_key not null,
  event_id text not null check (length(event_id) between 1 and 200),
  logged_at timestamptz not null,
  level text not null check (level in ('debug', 'info', 'warn', 'error')),
  event public.snake_name not null,
  message text not null check (length(message) <= 2000),
  data jsonb not null check (jsonb_typeof(data) = 'object'),
  primary key (account, event_id)
);
comment on table public.logs is 'Log lines worth keeping beyond the Workers log tail.';

create index logs_account_logged on public.logs (account, logged_at desc);

-- ------------------------------------------------------------------ security

alter table public.markets enable row level security;
alter table public.orders enable row level security;
alter table public.fills enable row level security;
alter table public.trades enable row level security;
alter table public.account_snapshots enable row level security;
alter table public.daily_reports enable row level security;
alter table public.alerts enable row level security;
alter table public.risk_events enable row level security;
alter table public.recon_diffs enable row level security;
alter table public.logs enable row level security;

revoke all on table
  public.markets, public.orders, public.fills, public.trades, public.account_snapshots,
  public.daily_reports, public.alerts, public.risk_events, public.recon_diffs, public.logs
  from anon, authenticated;

grant select, insert, update, delete on table
  public.markets, public.orders, public.fills, public.trades, public.account_snapshots,
  public.daily_reports, public.alerts, public.risk_events, public.recon_diffs, public.logs
  to service_role;

revoke all on function public.markets_keep_first_seen() from public, anon, authenticated;
revoke all on function public.orders_keep_newest() from public, anon, authenticated;
