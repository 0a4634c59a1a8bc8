// Shared by the merchant console and the mediator desk: how a dispute's events, amounts, dates and deadlines read.
// Everything shown goes through textContent; nothing from the server is ever parsed as HTML.

import { el, formatMoney, formatDateTime } from './api.js';

export { el };

/** Replaces a node's children, leaving out the absent ones (the DOM would write "null"). */
export function show(node, ...children) {
  node.replaceChildren(...children.filter(c => c !== null && c !== undefined && c !== false));
}

export function money(amount, currency = 'CNY') {
  return amount === null || amount === undefined ? '' : formatMoney(amount, currency);
}

export function when(iso) {
  return iso ? formatDateTime(iso) : '';
}

const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
export function time(iso) {
  return iso ? timeOnly.format(new Date(iso)) : '';
}

/** "2 h 13 min left", "overdue 5 min": the running deadline as a person reads it. */
export function countdown(iso, now = Date.now()) {
  if (!iso) return '';
  let ms = new Date(iso).getTime() - now;
  const overdue = ms < 0;
  ms = Math.abs(ms);
  const s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
    m = Math.floor((s % 3600) / 60), sec = s % 60;
  const text = d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${sec} s` : `${sec} s`;
  return overdue ? `overdue ${text}` : `${text} left`;
}

const deadlineNames = {
  MerchantWarningAt: 'first answer due soon', MerchantRespondBy: 'first answer due', NegotiationEndsAt: 'negotiation window ends',
  ExpiresAt: 'expires', RemedyDueBy: 'remedy due', EvidenceDueBy: 'evidence closes', MediationEndsAt: 'mediation ends',
  ReturnReceiptDueBy: 'return receipt due', InstructionDueBy: 'remedy to be carried out',
};
/** On the wire a kind is the name of its field in `deadlines` (`merchantRespondBy`). */
export const deadlineName = kind => kind ? deadlineNames[kind[0].toUpperCase() + kind.slice(1)] ?? kind : '';

const words = {
  FullRefund: 'Full refund', PartialRefund: 'Partial refund', ReturnAndRefund: 'Return and refund', Exchange: 'Exchange',
  Repair: 'Repair', Compensation: 'Compensation', ReturnShippingCompensation: 'Return shipping compensation',
  Quality: 'Quality problem', Defect: 'Defect', Counterfeit: 'Counterfeit', DamagedInTransport: 'Damaged in transport',
  NotAsDescribed: 'Not as described', NotDelivered: 'Not delivered', PriceOrFee: 'Price or fee', Service: 'Service',
  AwaitingMerchant: 'Awaiting merchant', Negotiating: 'Negotiating', Settled: 'Settled', Escalated: 'Escalated',
  Withdrawn: 'Withdrawn', Expired: 'Expired', InMediation: 'In mediation', Ruled: 'Ruled', AwaitingReturn: 'Awaiting return',
  ReturnShipped: 'Return shipped', Enforcing: 'Being carried out', Closed: 'Closed', Compensated: 'Compensated',
  Merchant: 'the merchant', Logistics: 'logistics', Consumer: 'the consumer', Shared: 'shared',
  AsExpected: 'as expected', Damaged: 'damaged', Empty: 'empty', Different: 'different goods', MissingItems: 'items missing',
};
export const word = name => words[name] ?? name ?? '';

export const closedStates = new Set(['Withdrawn', 'Expired', 'Closed', 'Compensated']);

function remedyText(e, currency) {
  const amount = Number(e.amount ?? 0) > 0 ? ` ${money(e.amount, currency)}` : '';
  return `${word(e.remedy)}${amount}${e.returnFirst ? ', goods back first' : ''}`;
}

/** One line saying what the event was, from the viewer's side. */
export function describe(e, currency = 'CNY') {
  switch (e.type) {
    case 'Opened': return `Dispute opened (${word(e.category)}): ${e.text ?? ''}`;
    case 'Message': return e.text ?? '';
    case 'Offer': return `Offer: ${remedyText(e, currency)}`;
    case 'OfferAccepted': return `Offer #${e.offerSeq} accepted`;
    case 'OfferRejected': return `Offer #${e.offerSeq} rejected`;
    case 'StateChanged': return `Now ${word(e.state)}${e.reason ? ` — ${e.reason}` : ''}`;
    case 'RemedyConfirmed': return 'The consumer confirmed the remedy';
    case 'RemedyOverdue': return 'The remedy is overdue';
    case 'DeadlineWarning': return `Deadline near${e.reason ? `: ${e.reason}` : ''}`;
    case 'MediatorAssigned': return `Mediator ${e.mediatorId} took the case`;
    case 'EvidenceAdded': return `Evidence added: ${e.evidence?.kind ?? ''} (${Math.ceil((e.evidence?.size ?? 0) / 1024)} KB)`;
    case 'EvidenceRequested': return `Evidence requested of the ${e.requestedOf} by ${when(e.dueBy)}: ${e.text ?? ''}`;
    case 'EvidenceSealed': return `Evidence sealed (${e.evidenceList?.length ?? 0} items)`;
    case 'Proposal': return `Mediator's proposal: ${remedyText(e, currency)}${e.text ? ` — ${e.text}` : ''}`;
    case 'ProposalAccepted': return `Proposal #${e.offerSeq ?? ''} accepted by the ${e.authorRole}`;
    case 'ProposalRejected': return `Proposal #${e.offerSeq ?? ''} rejected by the ${e.authorRole}`;
    case 'MediationWindowEnded': return 'The mediation window ended: the mediator rules next';
    case 'Ruled': return `Ruling: ${remedyText(e, currency)}; responsible: ${word(e.responsibility)}${e.text ? ` — ${e.text}` : ''}${e.reason ? ` — ${e.reason}` : ''}`;
    case 'InstructionIssued': return `Instruction issued: ${remedyText(e, currency)}`;
    case 'InstructionDone': return 'The platform carried out the instruction';
    case 'InstructionFailed': return `The instruction failed${e.reason ? `: ${e.reason}` : ''}`;
    case 'ReturnShipped': return `Return shipped with ${e.carrier ?? ''}, tracking ${e.trackingNumber ?? ''}`;
    case 'ReturnReceived': return `Return received: ${word(e.condition)}${e.text ? ` — ${e.text}` : ''}`;
    case 'Compensated': return `The compensation fund paid ${money(e.amount, currency)}`;
    case 'ClaimRecovered': return 'The compensation claim was recovered';
    case 'FeedbackGiven': return `Rated ${e.rating}/5`;
    case 'PartnerAnswered': return `${e.platform} answered (${(e.partnerStatus ?? '').toLowerCase()}): ${e.text ?? ''}`;
    default: return e.type;
  }
}

/** A list item for the event; `mine` is the viewer's role ('merchant', 'mediator'). */
export function eventItem(e, mine, currency) {
  const li = document.createElement('li');
  const role = e.authorRole ?? 'system';
  li.className = `event ev-${e.type} by-${role}${role === mine ? ' mine' : ''}`;
  li.dataset.seq = e.seq;
  li.dataset.type = e.type;
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = role === 'system' ? 'System' : role === 'mediator' ? `Mediator ${e.authorId}` : role === mine ? 'You' : `${role[0].toUpperCase()}${role.slice(1)}`;
  const what = document.createElement('span');
  what.className = 'what';
  what.textContent = describe(e, currency);
  const at = document.createElement('time');
  at.dateTime = e.at;
  at.textContent = time(e.at);
  li.append(who, what, at);
  return li;
}
