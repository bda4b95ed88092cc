-- Daily P&L and win rate per account and trading day.
--
-- A trading day is the calendar day in America/New_York (Kalshi's exchange time zone) on which a
-- round trip closed. A win is a trade whose pnl net of fees is above zero, a loss one below zero,
-- a scratch one at exactly zero; the win rate is wins / trades, rounded to 4 decimals.
--
-- The views run with the caller's rights (security_invoker), so the tables' row-level security
-- applies through them: anon and authenticated see nothing, the service role sees everything.

create view public.daily_pnl with (security_invoker = true) as
select
  account,
  (closed_at at time zone 'America/New_York')::date as trading_day,
  count(*)::integer as trades,
  sum(pnl + fees) as gross_pnl,
  sum(fees) as fees,
  sum(pnl) as net_pnl,
  max(pnl) as best_trade,
  min(pnl) as worst_trade
from public.trades
group by account, trading_day;
comment on view public.daily_pnl is
  'Per account and America/New_York trading day: closed round trips, gross and net P&L (dollars), fees.';

create view public.daily_win_rate with (security_invoker = true) as
select
  account,
  trading_day,
  trades,
  wins,
  losses,
  trades - wins - losses as scratches,
  round(wins::numeric / trades, 4) as win_rate
from (
  select
    account,
    (closed_at at time zone 'America/New_York')::date as trading_day,
    count(*)::integer as trades,
    (count(*) filter (where pnl > 0))::integer as wins,
    (count(*) filter (where pnl < 0))::integer as losses
  from public.trades
  group by account, trading_day
) as per_day;
comment on view public.daily_win_rate is
  'Per account and America/New_York trading day: wins (net pnl > 0), losses (< 0), scratches, win rate.';

revoke all on table public.daily_pnl, public.daily_win_rate from anon, authenticated;
grant select on table public.daily_pnl, public.daily_win_rate to service_role;
