import { AwaitingShipment } from './AwaitingShipment';
import { Dashboard } from './Dashboard';
import { LiveOrders } from './LiveOrders';
import { Clock } from './time';

export function App() {
  return (
    <div className="app">
      <header>
        <h1>OrderDesk</h1>
        <Clock />
      </header>
      <main>
        <Dashboard />
        <div className="columns">
          <LiveOrders />
          <AwaitingShipment />
        </div>
      </main>
    </div>
  );
}
